// The SLA policy editor of the policies panel: several targets, the calendar, pauses, the warning, the
// "needs a prioritization rule" check with a link that creates that rule, and a live due-time preview.
import {
  api, canEdit, clearProblems, debounce, el, field, fill, formatInstant, METRIC_LABELS,
  navigate, notify, PRIORITIES, CHANNELS, select, showProblems, slug, viewerZone,
} from './ui.js';

const PAUSABLE = [['new', 'New'], ['open', 'Open'], ['pending', 'Pending'], ['on_hold', 'On hold']];

/** The calendar choices: 24/7, then each calendar with its zone. */
export function calendarChoices(calendars) {
  return [['', '24/7 (no calendar)'], ...calendars.map((item) => [item.id, `${item.name || item.id} — ${item.timezone}`])];
}

export class PolicyEditor {
  /** ``shared``: the panel's state (policies, rules, calendars, timezone, editor); ``saved``: reload after a save. */
  constructor(policy, shared, saved) {
    this.shared = shared;
    this.saved = saved;
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
      calendar: select(calendarChoices(this.shared.calendars), source.calendar || ''),
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
    const products = [...new Set([...this.shared.rules, ...this.shared.policies].map((item) => item.product))];
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
    const taken = this.shared.policies.filter((policy) => policy !== this.original).map((policy) => policy.id);
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
    const fresh = select(calendarChoices(this.shared.calendars), chosen);
    this.inputs.calendar.replaceChildren(...fresh.children);
    this.inputs.calendar.value = this.shared.calendars.some((item) => item.id === chosen) ? chosen : '';
    this.checkRule();
    this.preview(); // a draft the preview refused for want of its rule may be fine now
  }

  /** SLAs need a prioritization rule for the same product and channel: say so before saving. */
  checkRule() {
    const product = this.inputs.product.value.trim();
    const channel = this.inputs.channel.value.trim();
    const same = (a, b) => a.trim().toLowerCase() === b.trim().toLowerCase();
    const missing = product && channel && !this.shared.rules.some((rule) => same(rule.product, product) && same(rule.channel, channel));
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
    const run = this.run = (this.run || 0) + 1; // answers may come back out of order: the latest request's wins
    try {
      const answer = await api('POST', '/policies/preview', { body: { policy: { ...policy, name: policy.name || 'Draft' }, created_at: createdAt.toISOString() } });
      if (run !== this.run) return; // a newer request took over
      const zone = policy.calendar ? (this.shared.calendars.find((item) => item.id === policy.calendar) || {}).timezone : this.shared.timezone;
      fill(this.previewBox,
        el('strong', {}, 'A ticket created now would be due:'),
        el('ul', {}, answer.targets.map((target) => el('li', {},
          `${METRIC_LABELS[target.metric] || target.metric} (${target.minutes} min): ${formatInstant(target.due_at, zone)}`,
          zone !== viewerZone ? el('span', { class: 'muted' }, ` — your time ${formatInstant(target.due_at, viewerZone)}`) : null))));
    } catch (failure) {
      if (run !== this.run) return;
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
    await this.saved();
  }

  focus() {
    this.inputs.name.focus();
  }

  close() {
    if (this.shared.editor === this) this.shared.editor = null;
    this.form.remove();
  }
}

/** The settings' "needs a prioritization rule" problem belongs next to the product and channel. */
function withRulePath(failure) {
  failure.problems = failure.problems.map((problem) => (problem.includes('needs a prioritization rule')
    ? `product: ${problem.slice(problem.indexOf(': ') + 2)}` : problem));
  return failure;
}
