// The what-if panel: replay events (an uploaded file in the simulator's format, or this account's stored
// history) under the current settings and under a draft of the SLA policies, and compare the reports side by
// side — POST /what-if runs the simulator's own replay. Nothing is saved unless "Apply the draft" is pressed,
// which saves the draft through PUT /settings, validated like any save.
import {
  api, canEdit, clearProblems, el, field, fill, failureBox, notify, percent, select, showProblems, METRIC_LABELS,
} from './ui.js';

const STORED_DAYS = 30;
const MAX_STORED_EVENTS = '20,000';
const state = {
  panel: null, document: null, draft: null, baseVersion: 0, calendars: [], source: 'upload', fileInput: null,
  result: null, period: 'daily', parts: null,
};

export async function mount(panel) {
  state.panel = panel;
  await load();
}

async function load() {
  try {
    const [document, versions] = await Promise.all([api('GET', '/settings'), api('GET', '/settings/versions')]);
    state.document = document;
    state.baseVersion = versions.versions.length ? versions.versions[0].version : 0;
  } catch (failure) {
    fill(state.panel, heading(), failureBox(failure));
    return;
  }
  state.draft = structuredClone(state.document);
  state.calendars = state.document.calendars || [];
  state.result = null;
  render();
}

function heading() {
  return el('div', { class: 'toolbar' },
    el('div', {},
      el('h2', {}, 'What-if'),
      el('p', { class: 'muted small' },
        'Replay ticket events under your current settings and under a draft, and compare the reports side by side. The same engine as “sla-plugin simulate”. Nothing is saved unless you apply the draft.'),
      canEdit ? null : el('p', { class: 'inline-info' }, 'You can try drafts here; only an admin of your helpdesk can apply one.')));
}

// -- the form ------------------------------------------------------------------------------------
function render() {
  // One file input for the panel's life: a reset or an applied draft keeps the file chosen.
  state.fileInput ||= el('input', { type: 'file', accept: '.jsonl,.ndjson,.json,.txt,application/json,application/x-ndjson,text/plain' });
  const file = state.fileInput;
  const form = el('form', { class: 'whatif-form', 'aria-label': 'What-if comparison', novalidate: true, onsubmit: (event) => { event.preventDefault(); compare(); } },
    el('fieldset', { class: 'card' },
      el('legend', {}, 'Events'),
      el('div', { class: 'checks', role: 'radiogroup', 'aria-label': 'Which events' },
        sourceChoice('upload', 'Upload a file of events'),
        sourceChoice('stored', `The last ${STORED_DAYS} days of this account's stored history`)),
      el('div', { class: 'whatif-upload', hidden: state.source !== 'upload' },
        field('Events file', file, { path: 'events', hint: 'One webhook body per line (JSONL), as “sla-plugin simulate” reads them; up to about 900 KB.' })),
      el('p', { class: 'hint whatif-stored', hidden: state.source !== 'stored' },
        `The tickets with an event in the last ${STORED_DAYS} days, each with its whole history; at most ${MAX_STORED_EVENTS} events, the most recently active tickets first.`)),
    el('fieldset', { class: 'card' },
      el('legend', {}, 'Draft SLA policies'),
      el('p', { class: 'hint' }, 'Change the minutes, the targeted success rate, whether a policy is enabled and its hours. The draft starts from the settings in force.'),
      draftTable(),
      el('div', { class: 'form-actions whatif-draft-actions' },
        el('button', { type: 'button', onclick: resetDraft }, 'Reset the draft'))),
    el('div', { class: 'form-actions' },
      el('button', { type: 'submit', class: 'primary' }, 'Compare'),
      el('button', { type: 'button', class: 'admin-only', onclick: applyDraft }, 'Apply the draft')));
  state.parts = { form, file, results: el('section', { class: 'whatif-results', 'aria-live': 'polite', 'aria-label': 'What-if results' }) };
  fill(state.panel, heading(), form, state.parts.results);
  renderResults();
}

function sourceChoice(value, text) {
  const input = el('input', { type: 'radio', name: 'whatif-source', value, checked: state.source === value,
    onchange: () => {
      state.source = value;
      state.panel.querySelector('.whatif-upload').hidden = value !== 'upload';
      state.panel.querySelector('.whatif-stored').hidden = value !== 'stored';
    } });
  return el('label', {}, input, text);
}

function draftTable() {
  const policies = state.draft.sla_policies || [];
  if (!policies.length) {
    return el('p', { class: 'empty' }, 'There are no SLA policies yet: create one in the SLA policies tab, then compare.');
  }
  const calendarOptions = [['', 'Around the clock'], ...state.calendars.map((calendar) => [calendar.id, calendar.name || calendar.id])];
  const body = [];
  policies.forEach((policy, index) => {
    const name = policy.name || policy.id;
    const path = `sla_policies[${index}]`;
    const targets = policy.targets || [];
    targets.forEach((target, number) => {
      const metric = METRIC_LABELS[target.metric] || target.metric;
      const minutes = el('input', { type: 'number', min: '1', step: '1', inputmode: 'numeric', value: target.minutes,
        oninput: (event) => { target.minutes = wholeNumber(event.target.value); } });
      const rate = el('input', { type: 'number', min: '0', max: '100', step: 'any', inputmode: 'decimal', value: target.success_rate_percent,
        oninput: (event) => { target.success_rate_percent = decimal(event.target.value); } });
      const cells = [];
      if (number === 0) {
        const enabled = el('input', { type: 'checkbox', checked: policy.enabled !== false,
          onchange: (event) => { policy.enabled = event.target.checked; } });
        const calendar = select(calendarOptions, policy.calendar || '', {
          onchange: (event) => { policy.calendar = event.target.value || null; } });
        const span = String(targets.length);
        cells.push(
          el('td', { rowspan: span, class: 'whatif-policy' }, el('strong', {}, name), el('div', { class: 'muted small' }, `${policy.product} / ${policy.channel} / ${policy.priority}`)),
          el('td', { rowspan: span }, field(`${name}: enabled`, enabled, { path: `${path}.enabled` })),
          el('td', { rowspan: span }, field(`${name}: hours`, calendar, { path: `${path}.calendar` })));
      }
      cells.push(
        el('td', {}, metric),
        el('td', {}, field(`${name}: ${metric} minutes`, minutes, { path: `${path}.targets[${number}].minutes` })),
        el('td', {}, field(`${name}: ${metric} success rate (%)`, rate, { path: `${path}.targets[${number}].success_rate_percent` })));
      body.push(el('tr', { class: number === 0 ? 'policy-first' : null }, cells));
    });
  });
  return el('div', { class: 'table-wrap' }, el('table', { class: 'whatif-draft', 'aria-label': 'Draft SLA policies' },
    el('thead', {}, el('tr', {}, ['Policy', 'Enabled', 'Hours', 'Target', 'Minutes', 'Success rate %'].map((title) => el('th', { scope: 'col' }, title)))),
    el('tbody', {}, body)));
}

/** What was typed, as a number when it is one (the API says what is wrong with anything else). */
function wholeNumber(text) {
  return /^\s*\d+\s*$/.test(text) ? Number(text) : text;
}

function decimal(text) {
  return text.trim() !== '' && Number.isFinite(Number(text)) ? Number(text) : text;
}

async function resetDraft() {
  await load();
  notify('The draft is back to the settings in force.', 'info');
}

// -- comparing -----------------------------------------------------------------------------------
async function compare() {
  const { form, results } = state.parts;
  clearProblems(form);
  const body = { source: state.source, draft: state.draft };
  if (state.source === 'upload') {
    const [file] = state.fileInput.files;
    body.events = file ? await file.text() : null; // the API says a file is needed
  } else {
    body.days = STORED_DAYS;
  }
  results.setAttribute('aria-busy', 'true');
  fill(results, el('p', { class: 'loading' }, 'Replaying the events…'));
  try {
    state.result = await api('POST', '/what-if', { body });
  } catch (failure) {
    state.result = null;
    fill(results);
    showProblems(form, failure);
    return;
  } finally {
    results.removeAttribute('aria-busy');
  }
  renderResults();
}

function renderResults() {
  const { results } = state.parts;
  const answer = state.result;
  if (!answer) { fill(results); return; }
  const names = new Map([...(state.document.sla_policies || []), ...(state.draft.sla_policies || [])]
    .map((policy) => [policy.id, policy.name || policy.id]));
  const notes = [];
  if (answer.since) notes.push(el('p', { class: 'hint' }, `Periods from ${new Date(answer.since).toISOString().slice(0, 10)} on.`));
  if (answer.truncated) {
    notes.push(el('div', { class: 'inline-warning' },
      `The stored history holds more than ${answer.max_events.toLocaleString('en')} events: the least recently active tickets were left out, so the earliest days may count fewer tickets.`));
  }
  const period = select([['daily', 'Daily'], ['hourly', 'Hourly']], state.period, {
    onchange: (event) => { state.period = event.target.value; renderResults(); } });
  const focusPeriod = document.activeElement && document.activeElement.closest && document.activeElement.closest('.whatif-period');
  fill(results,
    el('p', { class: 'whatif-summary' }, el('strong', {}, `Replayed ${answer.events} events of ${answer.tickets} tickets`),
      ` under the settings in force (version ${answer.settings_version}) and under the draft.`),
    notes,
    el('div', { class: 'whatif-side' },
      sideCard('Current settings', 'current', answer.current.daily, null, names),
      sideCard('Draft', 'draft', answer.draft.daily, answer.current.daily, names)),
    el('div', { class: 'card' },
      el('div', { class: 'toolbar' }, el('h3', {}, 'By period'), el('div', { class: 'whatif-period' }, field('Periods', period))),
      comparisonTable(answer.current[state.period], answer.draft[state.period], names)));
  if (focusPeriod) results.querySelector('.whatif-period select').focus();
}

function totals(rows) {
  const bySeries = new Map();
  for (const row of rows) {
    const key = `${row.policy}\u0000${row.metric}`;
    const entry = bySeries.get(key) || { policy: row.policy, metric: row.metric, total: 0, met: 0, missed: 0, targets: new Set() };
    entry.total += row.total;
    entry.met += row.met;
    entry.missed += row.missed_tickets;
    entry.targets.add(Number(row.target_percent));
    bySeries.set(key, entry);
  }
  return bySeries;
}

function sideCard(title, kind, rows, baseline, names) {
  const series = [...totals(rows).values()];
  const before = baseline ? totals(baseline) : null;
  const body = series.length ? el('ul', { class: 'whatif-series' }, series.map((entry) => {
    const achieved = (100 * entry.met) / entry.total;
    const target = Math.max(...entry.targets);
    const earlier = before && before.get(`${entry.policy}\u0000${entry.metric}`);
    const change = earlier ? achieved - (100 * earlier.met) / earlier.total : null;
    return el('li', { class: achieved < target ? 'below-target' : null },
      el('div', { class: 'muted small' }, `${names.get(entry.policy) || entry.policy} · ${METRIC_LABELS[entry.metric] || entry.metric}`),
      el('div', { class: 'whatif-rate' }, `${percent(achieved)} / ${[...entry.targets].join(' / ')} %`,
        change !== null && Math.abs(change) >= 0.05 ? el('span', { class: `badge ${change > 0 ? 'badge-ok' : 'badge-bad'}` }, `${change > 0 ? '+' : ''}${change.toFixed(1)} pts`) : null),
      el('div', { class: 'small' }, `${entry.met} of ${entry.total} met · ${entry.missed} missed`));
  })) : el('p', { class: 'empty' }, 'No targets were decided on these events.');
  return el('section', { class: `card whatif-side-${kind}`, 'aria-label': title }, el('h3', {}, title), body);
}

function comparisonTable(current, draft, names) {
  const keyOf = (row) => `${row.period_start}\u0000${row.policy}\u0000${row.metric}`;
  const merged = new Map();
  for (const row of current) merged.set(keyOf(row), { base: row, current: row, draft: null });
  for (const row of draft) {
    const entry = merged.get(keyOf(row)) || { base: row, current: null, draft: null };
    entry.draft = row;
    merged.set(keyOf(row), entry);
  }
  if (!merged.size) {
    return el('p', { class: 'empty' }, 'No targets were decided on these events under either settings. Check that the events’ products, channels and priorities match a policy.');
  }
  const entries = [...merged.values()].sort((a, b) => a.base.period_start.localeCompare(b.base.period_start)
    || (names.get(a.base.policy) || a.base.policy).localeCompare(names.get(b.base.policy) || b.base.policy)
    || a.base.metric.localeCompare(b.base.metric));
  return el('div', { class: 'table-wrap' }, el('table', { class: 'whatif-compare', 'aria-label': 'Current and draft reports by period' },
    el('thead', {}, el('tr', {}, ['Period', 'Policy', 'Metric', 'Current', 'Draft', 'Change'].map((title) => el('th', { scope: 'col' }, title)))),
    el('tbody', {}, entries.map((entry) => el('tr', {},
      el('td', {}, periodLabel(entry.base.period_start)),
      el('td', {}, names.get(entry.base.policy) || entry.base.policy),
      el('td', {}, METRIC_LABELS[entry.base.metric] || entry.base.metric),
      resultCell(entry.current, 'current'),
      resultCell(entry.draft, 'draft'),
      el('td', { class: 'num' }, entry.current && entry.draft ? points(entry.draft.achieved_percent - entry.current.achieved_percent) : '—'))))));
}

function resultCell(row, kind) {
  if (!row) return el('td', { class: `whatif-cell-${kind} muted` }, 'no targets');
  const below = row.achieved_percent < row.target_percent;
  return el('td', { class: `whatif-cell-${kind}${below ? ' below-target' : ''}` },
    el('div', {}, `${percent(row.achieved_percent)} / ${Number(row.target_percent)} %`),
    el('div', { class: 'muted small' }, `${row.met} of ${row.total} met · ${row.missed_tickets} missed`));
}

function points(change) {
  if (Math.abs(change) < 0.05) return '±0';
  return `${change > 0 ? '+' : ''}${change.toFixed(1)} pts`;
}

function periodLabel(iso) {
  const zone = state.document.timezone || 'UTC';
  const options = state.period === 'daily'
    ? { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric' }
    : { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' };
  try {
    return new Intl.DateTimeFormat('en-GB', { timeZone: zone, ...options }).format(new Date(iso));
  } catch {
    return iso;
  }
}

// -- applying ------------------------------------------------------------------------------------
async function applyDraft() {
  const { form } = state.parts;
  clearProblems(form);
  try {
    // Saved only over the version the draft started from: a change saved meanwhile is not overwritten (412).
    await api('PUT', '/settings', { body: state.draft, headers: { 'If-Match': `"${state.baseVersion}"` } });
  } catch (failure) {
    showProblems(form, failure.status === 412 ? {
      message: `The settings were saved again since this draft started from version ${state.baseVersion}. Nothing was saved: reset the draft to start from them.`,
      problems: [],
    } : failure);
    return;
  }
  notify('The draft is saved: it is now the SLA settings, applied to open tickets.', 'ok');
  await load();
}
