// The SLA policies panel: the list, and an editor with several targets, the calendar, pauses, the warning,
// the "needs a prioritization rule" check with a link that creates that rule, and a live due-time preview.
import {
  api, canEdit, clearProblems, debounce, el, field, fill, failureBox, formatInstant, METRIC_LABELS,
  navigate, notify, PRIORITIES, CHANNELS, select, showProblems, slug, viewerZone,
} from './ui.js';

const PAUSABLE = [['new', 'New'], ['open', 'Open'], ['pending', 'Pending'], ['on_hold', 'On hold']];
const state = { panel: null, policies: [], rules: [], calendars: [], timezone: 'UTC', editor: null };

export async function mount(panel) {
  state.panel = panel;
  await reload();
  state.fresh = true; // the show() that follows the mount has nothing newer to load
}

export async function show(intent) {
  if (!state.panel || !state.loaded || state.fresh) {
    state.fresh = false;
    return;
  }
  // Back from another tab: rules and calendars may have changed there. An open editor keeps what was typed.
  await reload();
  if (intent && intent.resume && state.editor) state.editor.focus();
}

async function reload() {
  try {
    const settings = await api('GET', '/settings'); // one call: the policies, rules, calendars and zone
    state.policies = settings.sla_policies || [];
    state.rules = settings.prioritization_rules || [];
    state.calendars = settings.calendars || [];
    state.timezone = settings.timezone || 'UTC';
    state.loaded = true;
  } catch (failure) {
    fill(state.panel, failureBox(failure));
    return;
  }
  render();
}

/** The panel's frame once; later renders replace only the list, so an editor opened meanwhile stays. */
function render() {
  if (!state.listHost) {
    state.editorHost = el('div', { id: 'policy-editor' });
    state.listHost = el('div', { id: 'policy-list' });
    fill(state.panel,
      el('div', { class: 'toolbar' },
        el('div', {},
          el('h2', {}, 'SLA policies'),
          el('p', { class: 'muted small' },
            'Each policy sets response and resolution targets for one product, channel and priority, counted in a calendar\'s business hours or around the clock.')),
        el('div', { class: 'actions admin-only' },
          el('button', { type: 'button', class: 'primary', onclick: () => openEditor(state.editorHost, null) }, 'New SLA policy'))),
      state.editorHost,
      state.listHost);
  }
  fill(state.listHost, policyTable(state.editorHost));
  if (state.editor) state.editor.refreshChoices();
}

function policyTable(editorHost) {
  if (!state.policies.length) {
    return el('div', { class: 'card empty' },
      el('p', {}, 'No SLA policies yet.'),
      canEdit ? el('p', {}, 'Create one with “New SLA policy”: for example Orange / email / urgent, first response in 30 minutes for 80 % of tickets.')
        : el('p', {}, 'An admin of your helpdesk can create them.'));
  }
  const rows = state.policies.map((policy) => el('tr', { dataset: { policy: policy.id } },
    el('td', {}, el('strong', {}, policy.name), policy.description ? el('div', { class: 'muted small' }, policy.description) : null),
    el('td', {}, `${policy.product} / ${policy.channel} / `, el('span', { class: `badge ${policy.priority === 'urgent' ? 'badge-bad' : 'badge-info'}` }, policy.priority)),
    el('td', {}, policy.targets.map((target) => el('div', {},
      `${METRIC_LABELS[target.metric] || target.metric}: ${target.minutes} min · ${target.success_rate_percent} %`))),
    el('td', {}, calendarName(policy.calendar)),
    el('td', {}, policy.enabled === false ? el('span', { class: 'badge badge-muted' }, 'Disabled') : el('span', { class: 'badge badge-ok' }, 'Enabled')),
    el('td', { class: 'num' },
      el('div', { class: 'row-actions' },
        el('button', { type: 'button', class: 'compact', onclick: () => openEditor(editorHost, policy), 'aria-label': `${canEdit ? 'Edit' : 'View'} ${policy.name}` }, canEdit ? 'Edit' : 'View'),
        canEdit ? el('button', { type: 'button', class: 'compact', onclick: () => toggle(policy), 'aria-label': `${policy.enabled === false ? 'Enable' : 'Disable'} ${policy.name}` },
          policy.enabled === false ? 'Enable' : 'Disable') : null,
        canEdit ? el('button', { type: 'button', class: 'danger compact', onclick: () => remove(policy), 'aria-label': `Delete ${policy.name}` }, 'Delete') : null))));
  return el('div', { class: 'table-wrap' }, el('table', { 'aria-label': 'SLA policies' },
    el('thead', {}, el('tr', {}, ['Name', 'Applies to', 'Targets', 'Hours', 'State', ''].map((title) => el('th', { scope: 'col' }, title)))),
    el('tbody', {}, rows)));
}

function calendarChoices() {
  return [['', '24/7 (no calendar)'], ...state.calendars.map((item) => [item.id, `${item.name || item.id} — ${item.timezone}`])];
}

function calendarName(id) {
  if (!id) return '24/7';
  const calendar = state.calendars.find((item) => item.id === id);
  return calendar ? `${calendar.name || calendar.id} (${calendar.timezone})` : id;
}

async function toggle(policy) {
  try {
    await api('PUT', `/policies/${encodeURIComponent(policy.id)}`, { body: { ...policy, enabled: policy.enabled === false } });
    notify(`${policy.name} ${policy.enabled === false ? 'enabled' : 'disabled'}.`);
    await reload();
  } catch (failure) {
    notify(failure.message, 'error');
  }
}

async function remove(policy) {
  if (!window.confirm(`Delete the SLA policy “${policy.name}”? Its targets stop on open tickets; past reports keep them.`)) return;
  try {
    await api('DELETE', `/policies/${encodeURIComponent(policy.id)}`);
    notify(`${policy.name} deleted.`);
    await reload();
  } catch (failure) {
    notify(failure.message, 'error');
  }
}

// -- the editor --------------------------------------------------------------------------------------

function openEditor(host, policy) {
  const editor = new PolicyEditor(policy);
  state.editor = editor;
  fill(host, editor.form);
  editor.focus();
}

class PolicyEditor {
  constructor(policy) {
    this.original = policy;
    this.readOnly = !canEdit;
    const source = policy || {
      name: '', description: '', product: '', channel: 'email', priority: 'urgent', calendar: null,
      targets: [{ metric: 'first_response', minutes: 30, success_rate_percent: 80 }],
      pause_statuses: ['pending', 'on_hold'], enabled: true,
    };
    this.inputs = {
      name: el('input', { type: 'text', value: source.name, required: true, maxlength: 200, autocomplete: 'off' }),
      description: el('textarea', { maxlength: 2000 }, source.description || ''),
      product: el('input', { type: 'text', value: source.product, required: true, list: 'policy-products', autocomplete: 'off' }),
      channel: el('input', { type: 'text', value: source.channel, required: true, list: 'policy-channels', autocomplete: 'off' }),
      priority: select(PRIORITIES.map((value) => [value, value[0].toUpperCase() + value.slice(1)]), source.priority),
      calendar: select(calendarChoices(), source.calendar || ''),
      warnKind: select([['none', 'No warning'], ['minutes', 'Minutes before due'], ['percent', 'Percent of the target left']],
        source.warn_before_minutes != null ? 'minutes' : source.warn_before_percent != null ? 'percent' : 'none'),
      warnValue: el('input', { type: 'number', min: 0, step: 'any', value: source.warn_before_minutes ?? source.warn_before_percent ?? '' }),
      enabled: el('input', { type: 'checkbox', checked: source.enabled !== false }),
    };
    this.targetRows = el('div', { class: 'targets' });
    this.targets = [];
    for (const target of source.targets) this.addTarget(target);
    this.pauses = PAUSABLE.map(([value, label]) => {
      const box = el('input', { type: 'checkbox', value, checked: (source.pause_statuses || []).includes(value) });
      return { value, box, label: el('label', {}, box, label) };
    });
    this.ruleBox = el('div', { class: 'rule-check', 'aria-live': 'polite' });
    this.previewBox = el('div', { class: 'inline-info preview', 'aria-live': 'polite' }, 'Preview: fill in the targets to see when a ticket created now would be due.');
    this.applyTo = el('input', { type: 'checkbox', id: 'policy-new-only' });
    this.form = this.build();
    const refresh = debounce(() => this.preview(), 350);
    this.form.addEventListener('input', () => { this.checkRule(); this.syncWarning(); refresh(); });
    this.form.addEventListener('change', () => { this.checkRule(); this.syncWarning(); refresh(); });
    this.syncWarning();
    this.checkRule();
    this.preview();
  }

  build() {
    const { inputs } = this;
    const products = [...new Set([...state.rules, ...state.policies].map((item) => item.product))];
    const form = el('form', { class: 'card policy-form', novalidate: true, 'aria-label': this.original ? `Edit ${this.original.name}` : 'New SLA policy', onsubmit: (event) => { event.preventDefault(); this.save(); } },
      el('h3', {}, this.original ? (this.readOnly ? this.original.name : `Edit “${this.original.name}”`) : 'New SLA policy'),
      el('div', { class: 'form-error', role: 'alert', tabindex: '-1', hidden: true }),
      el('datalist', { id: 'policy-products' }, products.map((value) => el('option', { value }))),
      el('datalist', { id: 'policy-channels' }, CHANNELS.map((value) => el('option', { value }))),
      el('div', { class: 'grid' },
        field('Name', inputs.name, { path: 'name', wide: true }),
        field('Description (optional)', inputs.description, { path: 'description', wide: true }),
        field('Product', inputs.product, { path: 'product', hint: 'As your helpdesk names it, e.g. Orange' }),
        field('Channel', inputs.channel, { path: 'channel', hint: 'email, chat, phone, web, social… or *' }),
        field('Priority', inputs.priority, { path: 'priority' }),
        field('Business hours', inputs.calendar, { path: 'calendar', hint: 'Targets count only while the calendar is open' })),
      this.ruleBox,
      el('fieldset', {},
        el('legend', {}, 'Targets'),
        el('p', { class: 'hint' }, 'Targeted success rate: the share of tickets that must meet the target (80 % → 80 of every 100 tickets).'),
        this.targetRows,
        el('button', { type: 'button', class: 'admin-only', onclick: () => { this.addTarget(); this.preview(); } }, 'Add a target')),
      el('fieldset', {},
        el('legend', {}, 'Pause the resolution clock while the ticket is'),
        el('div', { class: 'checks', 'data-path': 'pause_statuses', id: 'policy-pauses', tabindex: '-1' }, this.pauses.map((pause) => pause.label)),
        el('p', { class: 'field-error', id: 'policy-pauses-error', hidden: true }),
        el('p', { class: 'hint' }, 'Response targets never pause: a customer waiting for an answer is waiting whatever the status.')),
      el('div', { class: 'grid' },
        field('Warn reps (sla-at-risk tag)', inputs.warnKind, { path: 'warn_kind' }),
        field('Warning threshold', inputs.warnValue, { path: 'warn_before_minutes' }),
        el('div', { class: 'field' }, el('span', { class: 'field-label' }, 'State'),
          el('label', { class: 'checks' }, inputs.enabled, 'Enabled'))),
      this.previewBox,
      el('div', { class: 'form-actions' },
        this.readOnly ? null : el('label', { class: 'checks', for: 'policy-new-only' }, this.applyTo, 'Apply to new tickets only (leave open tickets as they are)'),
        el('button', { type: 'button', onclick: () => this.close() }, this.readOnly ? 'Close' : 'Cancel'),
        this.readOnly ? null : el('button', { type: 'submit', class: 'primary' }, 'Save policy')));
    inputs.enabled.dataset.path = 'enabled';
    if (this.readOnly) for (const control of form.querySelectorAll('input, select, textarea')) control.disabled = true;
    return form;
  }

  addTarget(target = { metric: this.unusedMetric(), minutes: '', success_rate_percent: 80 }) {
    const index = this.targets.length;
    const row = {
      metric: select(Object.entries(METRIC_LABELS), target.metric),
      minutes: el('input', { type: 'number', min: 1, step: 1, value: target.minutes, inputmode: 'numeric' }),
      rate: el('input', { type: 'number', min: 0, max: 100, step: 'any', value: target.success_rate_percent }),
    };
    row.node = el('div', { class: 'repeat-row' },
      field('Metric', row.metric, { path: `targets[${index}].metric` }),
      field('Minutes', row.minutes, { path: `targets[${index}].minutes` }),
      field('Targeted success rate (%)', row.rate, { path: `targets[${index}].success_rate_percent` }),
      el('button', { type: 'button', class: 'danger admin-only', 'aria-label': `Remove target ${index + 1}`, onclick: () => this.removeTarget(row) }, 'Remove'));
    this.targets.push(row);
    this.targetRows.append(row.node);
  }

  removeTarget(row) {
    this.targets = this.targets.filter((item) => item !== row);
    const kept = this.targets.map((item) => ({ metric: item.metric.value, minutes: item.minutes.value, success_rate_percent: item.rate.value }));
    this.targets = [];
    this.targetRows.replaceChildren();
    for (const target of kept) this.addTarget(target);
    this.preview();
  }

  unusedMetric() {
    const used = new Set((this.targets || []).map((row) => row.metric.value));
    return Object.keys(METRIC_LABELS).find((metric) => !used.has(metric)) || 'first_response';
  }

  syncWarning() {
    const kind = this.inputs.warnKind.value;
    this.inputs.warnValue.disabled = this.readOnly || kind === 'none';
    this.inputs.warnValue.dataset.path = kind === 'percent' ? 'warn_before_percent' : 'warn_before_minutes';
  }

  /** The policy as the API takes it, from what is typed (numbers where numbers are meant). */
  draft() {
    const { inputs } = this;
    const taken = state.policies.filter((policy) => policy !== this.original).map((policy) => policy.id);
    const number = (text) => (text.trim() === '' ? null : Number(text));
    const policy = {
      id: this.original ? this.original.id : slug(inputs.name.value || `${inputs.product.value} ${inputs.channel.value} ${inputs.priority.value}`, taken),
      name: inputs.name.value,
      description: inputs.description.value,
      product: inputs.product.value,
      channel: inputs.channel.value,
      priority: inputs.priority.value,
      calendar: inputs.calendar.value || null,
      targets: this.targets.map((row) => ({
        metric: row.metric.value, minutes: number(row.minutes.value), success_rate_percent: number(row.rate.value),
      })),
      pause_statuses: this.pauses.filter((pause) => pause.box.checked).map((pause) => pause.value),
      enabled: inputs.enabled.checked,
    };
    const warning = number(inputs.warnValue.value);
    if (inputs.warnKind.value === 'minutes') policy.warn_before_minutes = warning;
    if (inputs.warnKind.value === 'percent') policy.warn_before_percent = warning;
    return policy;
  }

  /** The rules and calendars changed elsewhere: the calendar choices again (the choice kept), the rule check. */
  refreshChoices() {
    const chosen = this.inputs.calendar.value;
    const fresh = select(calendarChoices(), chosen);
    this.inputs.calendar.replaceChildren(...fresh.children);
    this.inputs.calendar.value = state.calendars.some((item) => item.id === chosen) ? chosen : '';
    this.checkRule();
    this.preview(); // a draft the preview refused for want of its rule may be fine now
  }

  /** SLAs need a prioritization rule for the same product and channel: say so before saving. */
  checkRule() {
    const product = this.inputs.product.value.trim();
    const channel = this.inputs.channel.value.trim();
    const same = (a, b) => a.trim().toLowerCase() === b.trim().toLowerCase();
    const missing = product && channel && !state.rules.some((rule) => same(rule.product, product) && same(rule.channel, channel));
    // Redraw only when the answer changes: a redraw under the pointer would swallow a click on the link
    // (leaving the channel field fires "change" between the press and the click).
    const shown = missing ? `${product}\u0000${channel}` : '';
    if (shown === this.ruleShown) return;
    this.ruleShown = shown;
    if (!missing) {
      this.ruleBox.replaceChildren();
      return;
    }
    fill(this.ruleBox, el('div', { class: 'inline-warning', id: 'policy-needs-rule' },
      el('strong', {}, 'This SLA needs a prioritization rule for '), `${product} / ${channel}. `,
      'Rules decide the priority of new tickets; an SLA for a product and channel can only be saved once a rule for them exists. ',
      canEdit ? el('button', { type: 'button', class: 'link', onclick: () => navigate('rules', { create: { product, channel, priority: this.inputs.priority.value } }) },
        `Create a rule for ${product} / ${channel}`) : null,
      canEdit ? ' — what you typed here stays.' : null));
  }

  async preview() {
    const policy = this.draft();
    if (!policy.targets.length || policy.targets.some((target) => !(target.minutes > 0))) return;
    const createdAt = new Date();
    createdAt.setMilliseconds(0);
    try {
      const answer = await api('POST', '/policies/preview', { body: { policy: { ...policy, name: policy.name || 'Draft' }, created_at: createdAt.toISOString() } });
      const zone = policy.calendar ? (state.calendars.find((item) => item.id === policy.calendar) || {}).timezone : state.timezone;
      fill(this.previewBox,
        el('strong', {}, 'A ticket created now would be due:'),
        el('ul', {}, answer.targets.map((target) => el('li', {},
          `${METRIC_LABELS[target.metric] || target.metric} (${target.minutes} min): ${formatInstant(target.due_at, zone)}`,
          zone !== viewerZone ? el('span', { class: 'muted' }, ` — your time ${formatInstant(target.due_at, viewerZone)}`) : null))));
    } catch (failure) {
      fill(this.previewBox, el('span', { class: 'muted' }, `Preview unavailable until the policy is valid: ${failure.message}`));
    }
  }

  async save() {
    const policy = this.draft();
    const query = this.applyTo.checked ? { apply_to: 'new_tickets' } : {};
    clearProblems(this.form);
    try {
      if (this.original) await api('PUT', `/policies/${encodeURIComponent(this.original.id)}`, { body: policy, query });
      else await api('POST', '/policies', { body: policy, query });
    } catch (failure) {
      const placed = showProblems(this.form, withRulePath(failure));
      if (!placed && failure.status === 403) notify(failure.message, 'error');
      return;
    }
    notify(`SLA policy “${policy.name}” saved.`);
    this.close();
    await reload();
  }

  focus() {
    this.inputs.name.focus();
  }

  close() {
    if (state.editor === this) state.editor = null;
    this.form.remove();
  }
}

/** The settings' "needs a prioritization rule" problem belongs next to the product and channel. */
function withRulePath(failure) {
  failure.problems = failure.problems.map((problem) => (problem.includes('needs a prioritization rule')
    ? `product: ${problem.slice(problem.indexOf(': ') + 2)}` : problem));
  return failure;
}
