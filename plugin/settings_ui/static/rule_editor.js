// The rule editor of the rules panel: name, product, channel, the priority it sets, and a condition builder
// (field, operator, value; all or any); the API's problems next to each field. Opened from a policy that needs
// the rule, it offers the way back once saved.
import { api, canEdit, clearProblems, el, field, fill, navigate, notify, PRIORITIES, select, showProblems, slug } from './ui.js';
import { capital, FIELDS, OPERATORS, ruleLabel, scopeKey } from './rule_words.js';

const PRIORITY_LABELS = PRIORITIES.map((value) => [value, capital(value)]);

export class RuleEditor {
  /** ``prefill``: {product, channel, priority?} of a rule a policy needs; ``app``: rules(), saved(), closed(editor). */
  constructor(rule, prefill, app) {
    this.original = rule;
    this.app = app;
    this.fromPolicy = Boolean(prefill);
    this.readOnly = !canEdit;
    const product = prefill ? prefill.product || '' : '';
    const channel = prefill ? prefill.channel || '' : '';
    const source = rule || {
      name: prefill ? [product, channel, prefill.priority].filter(Boolean).join(' ') : '',
      product, channel, match: 'all', conditions: [], priority: prefill && prefill.priority ? prefill.priority : 'normal',
    };
    this.inputs = {
      name: el('input', { type: 'text', value: source.name || '', maxlength: 200, autocomplete: 'off' }),
      product: el('input', { type: 'text', value: source.product, list: 'rule-products', autocomplete: 'off' }),
      channel: el('input', { type: 'text', value: source.channel, list: 'rule-channels', autocomplete: 'off' }),
      priority: select(PRIORITY_LABELS, source.priority),
      match: select([['all', 'All conditions hold'], ['any', 'Any one condition holds']], source.match || 'all'),
    };
    this.conditionRows = el('div', { class: 'conditions' });
    this.conditions = [];
    for (const condition of source.conditions || []) this.addCondition(condition, false);
    this.backBox = el('div', { 'aria-live': 'polite' });
    this.form = this.build();
  }

  build() {
    const { inputs } = this;
    const title = this.original ? (this.readOnly ? ruleLabel(this.original) : `Edit “${ruleLabel(this.original)}”`) : 'New rule';
    const form = el('form', { class: 'card rule-form', novalidate: true, 'aria-label': title, onsubmit: (event) => { event.preventDefault(); this.save(); } },
      el('h3', {}, title),
      this.fromPolicy ? el('p', { class: 'inline-info' }, 'Your SLA policy needs this rule. Check the priority it sets, then save; the policy you were editing keeps what you typed.') : null,
      el('div', { class: 'form-error', role: 'alert', tabindex: '-1', hidden: true }),
      el('div', { class: 'grid' },
        field('Rule name', inputs.name, { path: 'name', wide: true }),
        field('Product', inputs.product, { path: 'product', hint: 'As your helpdesk names it, or * for any' }),
        field('Channel', inputs.channel, { path: 'channel', hint: 'email, chat, phone, web, social… or *' }),
        field('Priority it sets', inputs.priority, { path: 'priority' })),
      el('fieldset', { class: 'conditions-set' },
        el('legend', {}, 'Conditions'),
        el('div', { class: 'grid' }, field('Match', inputs.match, { path: 'match' })),
        el('p', { class: 'hint' }, 'Text is compared ignoring case. “is one of” takes a comma-separated list. No conditions: every ticket of this product and channel.'),
        el('div', { id: 'rule-conditions', 'data-path': 'conditions', tabindex: '-1' }, this.conditionRows),
        el('p', { class: 'field-error', id: 'rule-conditions-error', hidden: true }),
        this.readOnly ? null : el('button', { type: 'button', onclick: () => this.addCondition() }, 'Add condition')),
      this.backBox,
      el('div', { class: 'form-actions' },
        el('button', { type: 'button', onclick: () => this.close() }, this.readOnly ? 'Close' : 'Cancel'),
        this.readOnly ? null : el('button', { type: 'submit', class: 'primary' }, 'Save rule')));
    if (this.readOnly) for (const control of form.querySelectorAll('input, select, textarea')) control.disabled = true;
    return form;
  }

  addCondition(condition = { field: 'subject', op: 'contains', value: '' }, focus = true) {
    const index = this.conditions.length;
    const number = index + 1;
    const row = {
      field: select(FIELDS, condition.field, { 'aria-label': `Condition ${number} field` }),
      op: select(OPERATORS, condition.op, { 'aria-label': `Condition ${number} operator` }),
      value: el('input', {
        type: 'text', autocomplete: 'off', 'aria-label': `Condition ${number} value`,
        value: Array.isArray(condition.value) ? condition.value.join(', ') : condition.value ?? '',
      }),
    };
    const valueHint = () => { row.value.placeholder = row.op.value === 'in' ? 'a, b, c' : ''; };
    row.op.addEventListener('change', valueHint);
    valueHint();
    row.node = el('div', { class: 'repeat-row condition-row' },
      field('Field', row.field, { path: `conditions[${index}].field` }),
      field('Operator', row.op, { path: `conditions[${index}].op` }),
      field('Value', row.value, { path: `conditions[${index}].value` }),
      this.readOnly ? null : el('button', { type: 'button', class: 'danger', 'aria-label': `Remove condition ${number}`, onclick: () => this.removeCondition(row) }, 'Remove'));
    if (this.readOnly) for (const control of [row.field, row.op, row.value]) control.disabled = true;
    this.conditions.push(row);
    this.conditionRows.append(row.node);
    if (focus) row.field.focus();
  }

  removeCondition(row) {
    const kept = this.conditions.filter((item) => item !== row)
      .map((item) => ({ field: item.field.value, op: item.op.value, value: item.value.value }));
    this.conditions = [];
    this.conditionRows.replaceChildren();
    for (const condition of kept) this.addCondition(condition, false);
    (this.conditions.at(-1)?.value || this.form.querySelector('button')).focus();
  }

  /** The rule as the API takes it; "is one of" values become a list. */
  draft() {
    const { inputs } = this;
    const product = inputs.product.value;
    const channel = inputs.channel.value;
    const rules = this.app.rules();
    const others = rules.filter((rule) => !this.original || rule.id !== this.original.id);
    const last = Math.max(0, ...rules.map((rule) => rule.position || 0));
    const sameScope = this.original && scopeKey(this.original) === scopeKey({ product, channel });
    return {
      ...(this.original || {}),
      id: this.original ? this.original.id : slug(inputs.name.value || `${product} ${channel}`, others.map((rule) => rule.id)),
      name: inputs.name.value,
      product,
      channel,
      priority: inputs.priority.value,
      match: inputs.match.value,
      position: sameScope ? this.original.position : last + 1, // a new rule, or one moved to another group, is tried last
      conditions: this.conditions.map((row) => ({
        field: row.field.value,
        op: row.op.value,
        value: row.op.value === 'in' ? row.value.value.split(',').map((item) => item.trim()).filter(Boolean) : row.value.value,
      })),
    };
  }

  async save() {
    const rule = this.draft();
    clearProblems(this.form);
    try {
      if (this.original) await api('PUT', `/rules/${encodeURIComponent(this.original.id)}`, { body: rule });
      else await api('POST', '/rules', { body: rule });
    } catch (failure) {
      const placed = showProblems(this.form, failure);
      if (!placed && failure.status === 403) notify(failure.message, 'error');
      return;
    }
    notify(`Rule “${ruleLabel(rule)}” saved.`);
    await this.app.saved();
    if (this.fromPolicy) {
      this.original = this.app.rules().find((item) => item.id === rule.id) || rule;
      const back = el('button', { type: 'button', class: 'primary', onclick: () => navigate('policies', { resume: true }) }, 'Back to the SLA policy');
      fill(this.backBox, el('div', { class: 'inline-info back-to-policy' },
        `Saved. ${rule.product} / ${rule.channel} tickets now get their priority from this rule. `, back));
      back.focus();
      return;
    }
    this.close();
  }

  focus() {
    this.inputs.name.focus();
  }

  close() {
    this.app.closed(this);
    this.form.remove();
  }
}
