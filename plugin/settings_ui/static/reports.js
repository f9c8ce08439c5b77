// The reports panel: achieved against targeted success rate per day or hour, policy and metric. Filters
// (period, dates in the account's zone, policy, metric), the chart the server draws (SVG, fetched with the
// session and imported as a node: no markup from data is ever parsed as HTML), the table, the targets at
// risk now, and a CSV download of the same query.
import {
  api, el, fill, field, select, failureBox, formatInstant, humanDuration, percent, METRIC_LABELS,
  clearProblems, showProblems,
} from './ui.js';

const state = { panel: null, timezone: 'UTC', policies: new Map(), filters: null, parts: null, fresh: false, run: 0 };

export async function mount(panel) {
  state.panel = panel;
  try {
    const settings = await api('GET', '/settings'); // the zone and the policies in one call
    state.timezone = settings.timezone || 'UTC';
    state.policies = new Map((settings.sla_policies || []).map((policy) => [policy.id, policy.name || policy.id]));
  } catch (failure) {
    fill(panel, failureBox(failure));
    return;
  }
  const today = todayIn(state.timezone);
  state.filters = { period: 'daily', from: addDays(today, -6), to: today, policy: '', metric: '' };
  render();
  state.fresh = true;
  await refresh();
}

export async function show(intent) {
  if (!state.parts) return;
  if (intent) {
    for (const key of ['period', 'from', 'to', 'policy', 'metric']) {
      if (intent[key] !== undefined) state.filters[key] = intent[key];
    }
    syncControls();
  }
  if (state.fresh && !intent) { state.fresh = false; return; } // mount has just loaded it
  state.fresh = false;
  await refresh();
}

// -- layout ---------------------------------------------------------------------------------------
function render() {
  const controls = {
    period: select([['daily', 'Daily'], ['hourly', 'Hourly']], state.filters.period, { name: 'period' }),
    from: el('input', { type: 'date', name: 'from', value: state.filters.from, required: true }),
    to: el('input', { type: 'date', name: 'to', value: state.filters.to, required: true }),
    policy: select([['', 'All policies'], ...[...state.policies].map(([id, name]) => [id, name])], state.filters.policy,
      { name: 'policy' }),
    metric: select([['', 'All metrics'], ...Object.entries(METRIC_LABELS)], state.filters.metric, { name: 'metric' }),
  };
  const form = el('form', { class: 'card report-filters', 'aria-label': 'Report filters', onsubmit: (event) => { event.preventDefault(); readControls(); refresh(); } },
    el('div', { class: 'grid' },
      field('Period', controls.period),
      field('From', controls.from, { path: 'from', hint: `A day in ${state.timezone}` }),
      field('To', controls.to, { path: 'to', hint: 'This day included' }),
      field('Policy', controls.policy, { path: 'policy' }),
      field('Metric', controls.metric, { path: 'metric' })),
    el('div', { class: 'form-actions' },
      el('button', { type: 'submit', class: 'primary' }, 'Show report'),
      el('button', { type: 'button', onclick: downloadCsv }, 'Download CSV')));
  for (const name of ['period', 'policy', 'metric']) {
    controls[name].addEventListener('change', () => { readControls(); refresh(); });
  }
  state.parts = {
    form,
    controls,
    summary: el('p', { class: 'muted small report-summary', role: 'status' }),
    chart: el('figure', { class: 'card chart report-chart', 'aria-label': 'Chart of the report' }),
    table: el('div', { class: 'report-table' }),
    atRisk: el('div', { class: 'report-at-risk' }),
  };
  fill(state.panel,
    el('div', { class: 'toolbar' },
      el('div', {},
        el('h2', {}, 'Reports'),
        el('p', { class: 'muted small' },
          `Achieved against targeted success rate, per day or hour of ${state.timezone}. A target counts when its outcome is decided: met when answered or solved in time, breached at its due instant.`))),
    form,
    state.parts.summary,
    state.parts.chart,
    el('section', { class: 'card', 'aria-labelledby': 'report-rows-title' },
      el('h3', { id: 'report-rows-title' }, 'Performance'),
      state.parts.table),
    el('section', { class: 'card', 'aria-labelledby': 'at-risk-title' },
      el('h3', { id: 'at-risk-title' }, 'At risk now'),
      state.parts.atRisk));
}

function readControls() {
  const { controls } = state.parts;
  for (const key of Object.keys(controls)) state.filters[key] = controls[key].value;
}

function syncControls() {
  const { controls } = state.parts;
  for (const key of Object.keys(controls)) controls[key].value = state.filters[key] ?? '';
}

/** The API's query: ``to`` is exclusive there, so the day after the last one shown. */
function query() {
  const { from, to, policy, metric } = state.filters;
  return { from, to: to ? addDays(to, 1) : '', policy, metric };
}

// -- loading --------------------------------------------------------------------------------------
async function refresh() {
  const run = ++state.run;
  const { form, summary, chart, table, atRisk } = state.parts;
  const { period } = state.filters;
  clearProblems(form);
  for (const part of [chart, table, atRisk]) part.setAttribute('aria-busy', 'true');
  const [rows, svg, risky] = await Promise.allSettled([
    api('GET', `/reports/${period}`, { query: query() }),
    api('GET', `/reports/${period}/chart`, { query: query(), accept: 'image/svg+xml' }),
    api('GET', '/reports/at-risk'),
  ]);
  if (run !== state.run) return; // a newer query took over
  for (const part of [chart, table, atRisk]) part.removeAttribute('aria-busy');
  if (rows.status === 'rejected') {
    showProblems(form, rows.reason);
    fill(summary);
    fill(table, failureBox(rows.reason));
    fill(chart);
    chart.hidden = true;
  } else {
    fill(summary, describe(rows.value.rows));
    fill(table, rowsTable(rows.value.rows));
    chart.hidden = false;
    fill(chart, svg.status === 'fulfilled' ? svgNode(svg.value) : failureBox(svg.reason));
  }
  fill(atRisk, risky.status === 'fulfilled' ? atRiskTable(risky.value) : failureBox(risky.reason));
}

/** The server's SVG as a node of this document: parsed as XML (never as HTML), then imported. */
function svgNode(text) {
  const parsed = new DOMParser().parseFromString(text, 'image/svg+xml');
  const root = parsed.documentElement;
  if (!root || root.localName !== 'svg' || parsed.getElementsByTagName('parsererror').length) {
    return failureBox({ message: 'The chart could not be read.' });
  }
  return document.importNode(root, true);
}

function describe(rows) {
  if (!rows.length) return '';
  const total = rows.reduce((sum, row) => sum + row.total, 0);
  const met = rows.reduce((sum, row) => sum + row.met, 0);
  const missed = rows.reduce((sum, row) => sum + row.missed_tickets, 0);
  return `${total} targets decided, ${met} met (${percent((100 * met) / total)}); ${missed} more had to be met to reach the targeted rates.`;
}

// -- the rows -------------------------------------------------------------------------------------
function rowsTable(rows) {
  if (!rows.length) {
    return el('div', { class: 'empty' },
      el('p', {}, el('strong', {}, 'No targets were decided in this range.')),
      el('p', { class: 'small' }, 'Choose earlier dates, or all policies and metrics. Targets count on the day their outcome is decided; those still running are in “At risk now” when their warning window has opened.'));
  }
  const head = ['Period', 'Policy', 'Metric', 'Total', 'Met', 'Breached', 'Achieved / target', 'Missed', 'Median', 'p90'];
  const numeric = new Set(['Total', 'Met', 'Breached', 'Missed', 'Median', 'p90']);
  return el('div', { class: 'table-wrap' }, el('table', { class: 'report-rows', 'aria-label': 'Report rows' },
    el('thead', {}, el('tr', {}, head.map((title) => el('th', { scope: 'col', class: numeric.has(title) ? 'num' : null }, title)))),
    el('tbody', {}, rows.map(rowLine))));
}

function rowLine(row) {
  const below = row.achieved_percent < row.target_percent;
  return el('tr', { class: below ? 'below-target' : null, dataset: { period: row.period_start, policy: row.policy, metric: row.metric } },
    el('td', { title: formatInstant(row.period_start, state.timezone) }, periodLabel(row.period_start)),
    el('td', {}, state.policies.get(row.policy) || row.policy),
    el('td', {}, METRIC_LABELS[row.metric] || row.metric),
    el('td', { class: 'num' }, row.total),
    el('td', { class: 'num' }, row.met),
    el('td', { class: 'num' }, row.breached),
    el('td', { class: 'rate' }, rate(row), below ? el('span', { class: 'badge badge-bad' }, 'below target') : null),
    el('td', { class: 'num' }, row.missed_tickets),
    el('td', { class: 'num' }, humanDuration(row.median_business_seconds)),
    el('td', { class: 'num' }, humanDuration(row.p90_business_seconds)));
}

function rate(row) {
  return `${percent(row.achieved_percent)} / ${Number(row.target_percent)} %`;
}

/** "Mon 2 Mar", "Mon 2 Mar, 09:00" in the account's zone (the full date in a tooltip). */
function periodLabel(iso) {
  const options = state.filters.period === 'daily'
    ? { weekday: 'short', day: 'numeric', month: 'short' }
    : { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' };
  try {
    return new Intl.DateTimeFormat('en-GB', { timeZone: state.timezone, ...options }).format(new Date(iso));
  } catch {
    return iso;
  }
}

// -- at risk --------------------------------------------------------------------------------------
function atRiskTable(answer) {
  const asOf = new Date(answer.as_of).getTime();
  const targets = answer.targets.filter((target) => (!state.filters.policy || target.policy === state.filters.policy)
    && (!state.filters.metric || target.metric === state.filters.metric));
  if (!targets.length) {
    return el('p', { class: 'empty' }, 'No running target is inside its warning window right now.');
  }
  return el('div', { class: 'table-wrap' }, el('table', { class: 'at-risk', 'aria-label': 'Targets at risk' },
    el('thead', {}, el('tr', {}, ['Ticket', 'Policy', 'Metric', 'Due', 'Time left'].map((title) => el('th', { scope: 'col' }, title)))),
    el('tbody', {}, targets.map((target) => {
      const left = (new Date(target.due_at).getTime() - asOf) / 1000;
      return el('tr', {},
        el('td', {}, target.ticket_id),
        el('td', {}, state.policies.get(target.policy) || target.policy),
        el('td', {}, (METRIC_LABELS[target.metric] || target.metric) + (target.cycle ? ` #${target.cycle}` : '')),
        el('td', {}, formatInstant(target.due_at, state.timezone)),
        el('td', {}, left >= 0 ? humanDuration(left) : el('span', { class: 'badge badge-bad' }, `overdue by ${humanDuration(-left)}`)));
    }))));
}

// -- CSV ------------------------------------------------------------------------------------------
async function downloadCsv() {
  readControls();
  const { period, from, to } = state.filters;
  let text;
  try {
    text = await api('GET', `/reports/${period}`, { query: { ...query(), format: 'csv' }, accept: 'text/csv' });
  } catch (failure) {
    showProblems(state.parts.form, failure);
    return;
  }
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv' }));
  const link = el('a', { href: url, download: `sla-report-${period}-${from}-to-${to}.csv`, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// -- dates in the account's zone ------------------------------------------------------------------
function todayIn(zone) {
  try {
    return new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
  } catch {
    return new Date().toISOString().slice(0, 10);
  }
}

function addDays(day, days) {
  const date = new Date(`${day}T00:00:00Z`);
  if (Number.isNaN(date.getTime())) return day;
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}
