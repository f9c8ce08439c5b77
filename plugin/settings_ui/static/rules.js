// The prioritization rules panel: rules grouped per product and channel in the order they are tried,
// reordered by keyboard (Move up / Move down, or Alt+↑/↓ on a row) and by drag and drop; an editor with a
// condition builder; and a tester that names the rule a sample ticket gets, why (the server's explanation,
// from the plugin's one rule matcher), the priority and the SLA policy that then applies.
import {
  api, canEdit, CHANNELS, clearProblems, el, failureBox, field, fill, navigate, notify, PRIORITIES, select,
  showProblems, slug,
} from './ui.js';

const FIELDS = [['subject', 'Subject'], ['body', 'Body'], ['requester_name', 'Requester name'],
  ['requester_email', 'Requester email'], ['requester_domain', 'Requester domain'], ['tags', 'Tags']];
const OPERATORS = [['is', 'is'], ['is_not', 'is not'], ['contains', 'contains'], ['not_contains', 'does not contain'],
  ['starts_with', 'starts with'], ['ends_with', 'ends with'], ['in', 'is one of']];
const FIELD_WORDS = Object.fromEntries(FIELDS);
const OPERATOR_WORDS = Object.fromEntries(OPERATORS);
const PRIORITY_LABELS = PRIORITIES.map((value) => [value, capital(value)]);

const state = {
  panel: null, rules: [], policies: [], editorHost: null, listHost: null, products: null, editor: null, focus: null, dragging: null,
};

export async function mount(panel) {
  state.panel = panel;
  state.editorHost = el('div', { id: 'rule-editor' });
  state.listHost = el('div', { id: 'rule-groups' });
  state.products = el('datalist', { id: 'rule-products' });
  fill(panel,
    state.products,
    el('datalist', { id: 'rule-channels' }, ['*', ...CHANNELS].map((value) => el('option', { value }))),
    el('div', { class: 'toolbar' },
      el('div', {},
        el('h2', {}, 'Prioritization rules'),
        el('p', { class: 'muted small' },
          'Rules set the priority of new tickets. They are tried in order; the first rule whose conditions hold decides. ',
          'A ticket no rule matches gets priority low. “*” stands for any product or channel.')),
      el('div', { class: 'actions admin-only' },
        el('button', { type: 'button', class: 'primary', onclick: () => openEditor(null) }, 'New rule'))),
    state.editorHost,
    state.listHost,
    testerCard());
  await reload();
}

export async function show(intent) {
  if (intent && intent.create && canEdit) openEditor(null, intent.create);
}

async function reload() {
  try {
    const [rules, policies] = await Promise.all([api('GET', '/rules'), api('GET', '/policies')]);
    state.rules = rules.rules;
    state.policies = policies.policies;
  } catch (failure) {
    fill(state.listHost, failureBox(failure));
    return;
  }
  const products = new Set([...state.rules, ...state.policies].map((item) => item.product).filter((value) => value !== '*'));
  fill(state.products, ['*', ...products].map((value) => el('option', { value })));
  renderList();
}

// -- the list, grouped per product and channel ------------------------------------------------------

const norm = (text) => String(text ?? '').trim().toLowerCase();
const scopeKey = (rule) => `${norm(rule.product)}\u0000${norm(rule.channel)}`;
const ruleLabel = (rule) => rule.name || rule.id;
const scopeWords = (product, channel) => `${product === '*' ? 'Any product' : product} · ${channel === '*' ? 'any channel' : channel}`;

function groups() {
  const found = new Map();
  for (const rule of state.rules) {
    const key = scopeKey(rule);
    if (!found.has(key)) found.set(key, { key, product: rule.product, channel: rule.channel, rules: [] });
    found.get(key).rules.push(rule);
  }
  return [...found.values()];
}

function renderList() {
  if (!state.rules.length) {
    fill(state.listHost, el('div', { class: 'card empty' },
      el('p', {}, 'No rules yet: every new ticket gets priority low.'),
      el('p', {}, canEdit ? 'Create one with “New rule”, e.g. Orange / email: subject contains “outage” → urgent.'
        : 'An admin of your helpdesk can create them.')));
    return;
  }
  fill(state.listHost, groups().map((group) => el('section', { class: 'card rule-group', 'aria-label': `Rules for ${scopeWords(group.product, group.channel)}` },
    el('h3', {}, scopeWords(group.product, group.channel), el('span', { class: 'muted small' }, ` — ${group.rules.length} rule${group.rules.length === 1 ? '' : 's'}, tried top to bottom`)),
    canEdit && group.rules.length > 1 ? el('p', { class: 'hint' }, 'Drag a rule, use Move up / Move down, or press Alt+↑ / Alt+↓ on a rule to change the order.') : null,
    el('ol', { class: 'rule-list' }, group.rules.map((rule, index) => ruleRow(rule, index, group))))));
  restoreFocus();
}

function ruleRow(rule, index, group) {
  const label = ruleLabel(rule);
  const last = group.rules.length - 1;
  const row = el('li', {
    class: 'rule-row', dataset: { rule: rule.id }, tabindex: canEdit ? '0' : null, draggable: canEdit ? 'true' : null,
    'aria-label': canEdit ? `${label}, ${index + 1} of ${group.rules.length}` : null,
  },
  canEdit ? el('span', { class: 'drag-handle', 'aria-hidden': 'true', title: 'Drag to reorder' }, '⠿') : null,
  el('span', { class: 'rule-order', 'aria-hidden': 'true' }, String(index + 1)),
  el('div', { class: 'rule-main' },
    el('strong', { class: 'rule-name' }, label),
    el('div', { class: 'muted small' }, conditionSummary(rule))),
  el('span', { class: `badge priority-${rule.priority}` }, capital(rule.priority)),
  el('div', { class: 'row-actions' },
    canEdit ? el('button', { type: 'button', class: 'compact', disabled: index === 0, 'aria-label': `Move ${label} up`, dataset: { act: 'up' }, onclick: () => move(rule, -1, 'up') }, '↑') : null,
    canEdit ? el('button', { type: 'button', class: 'compact', disabled: index === last, 'aria-label': `Move ${label} down`, dataset: { act: 'down' }, onclick: () => move(rule, 1, 'down') }, '↓') : null,
    el('button', { type: 'button', class: 'compact', 'aria-label': `${canEdit ? 'Edit' : 'View'} ${label}`, onclick: () => openEditor(rule) }, canEdit ? 'Edit' : 'View'),
    canEdit ? el('button', { type: 'button', class: 'compact danger', 'aria-label': `Delete ${label}`, onclick: () => remove(rule) }, 'Delete') : null));
  if (canEdit) {
    row.addEventListener('keydown', (event) => {
      if (event.target !== row || !event.altKey || !['ArrowUp', 'ArrowDown'].includes(event.key)) return;
      event.preventDefault();
      move(rule, event.key === 'ArrowUp' ? -1 : 1, 'row');
    });
    dragAndDrop(row, rule);
  }
  return row;
}

function conditionSummary(rule) {
  const conditions = rule.conditions || [];
  if (!conditions.length) return 'No conditions: every ticket of this product and channel';
  const joiner = rule.match === 'any' ? ' or ' : ' and ';
  return conditions.map(describeCondition).join(joiner);
}

function describeCondition(condition) {
  const values = Array.isArray(condition.value) ? condition.value : [condition.value];
  return `${FIELD_WORDS[condition.field] || condition.field} ${OPERATOR_WORDS[condition.op] || condition.op} ${values.map((value) => `“${value}”`).join(', ')}`;
}

// -- reordering ------------------------------------------------------------------------------------

/** Move a rule within its group: it swaps places with its neighbour there, rules of other groups keep theirs. */
function move(rule, step, focusOn) {
  const group = state.rules.filter((item) => scopeKey(item) === scopeKey(rule)).map((item) => item.id);
  const from = group.indexOf(rule.id);
  const to = from + step;
  if (to < 0 || to >= group.length) return;
  [group[from], group[to]] = [group[to], group[from]];
  saveGroupOrder(rule, group, focusOn);
}

/** The whole order with one group's rules in ``groupIds`` order, in the places that group's rules held. */
async function saveGroupOrder(rule, groupIds, focusOn) {
  const key = scopeKey(rule);
  const queue = [...groupIds];
  const ids = state.rules.map((item) => (scopeKey(item) === key ? queue.shift() : item.id));
  if (ids.every((id, index) => id === state.rules[index].id)) return;
  state.focus = { id: rule.id, on: focusOn };
  try {
    const answer = await api('POST', '/rules/reorder', { body: { ids } });
    state.rules = answer.rules;
    notify(`Order saved: “${ruleLabel(rule)}” is now ${groupIds.indexOf(rule.id) + 1} of ${groupIds.length}.`);
  } catch (failure) {
    notify(failure.message, 'error');
    await reload();
    return;
  }
  renderList();
}

function restoreFocus() {
  const wanted = state.focus;
  state.focus = null;
  if (!wanted) return;
  const row = state.listHost.querySelector(`[data-rule="${CSS.escape(wanted.id)}"]`);
  if (!row) return;
  const button = row.querySelector(`[data-act="${wanted.on}"]`);
  const other = row.querySelector(`[data-act="${wanted.on === 'up' ? 'down' : 'up'}"]`);
  if (wanted.on === 'row') row.focus();
  else if (button && !button.disabled) button.focus();
  else if (other && !other.disabled) other.focus();
  else row.focus();
}

function dragAndDrop(row, rule) {
  const clear = () => row.classList.remove('drop-before', 'drop-after');
  const sameGroup = () => state.dragging && state.dragging !== rule.id
    && scopeKey(state.rules.find((item) => item.id === state.dragging) || {}) === scopeKey(rule);
  const after = (event) => event.clientY > row.getBoundingClientRect().top + row.offsetHeight / 2;
  row.addEventListener('dragstart', (event) => {
    state.dragging = rule.id;
    event.dataTransfer.effectAllowed = 'move';
    event.dataTransfer.setData('text/plain', rule.id);
    row.classList.add('dragging');
  });
  row.addEventListener('dragend', () => {
    state.dragging = null;
    row.classList.remove('dragging');
    for (const node of state.listHost.querySelectorAll('.drop-before, .drop-after')) node.classList.remove('drop-before', 'drop-after');
  });
  row.addEventListener('dragover', (event) => {
    if (!sameGroup()) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'move';
    row.classList.toggle('drop-after', after(event));
    row.classList.toggle('drop-before', !after(event));
  });
  row.addEventListener('dragleave', clear);
  row.addEventListener('drop', (event) => {
    if (!sameGroup()) return;
    event.preventDefault();
    clear();
    const dragged = state.rules.find((item) => item.id === state.dragging);
    const group = state.rules.filter((item) => scopeKey(item) === scopeKey(rule) && item.id !== dragged.id).map((item) => item.id);
    group.splice(group.indexOf(rule.id) + (after(event) ? 1 : 0), 0, dragged.id);
    state.dragging = null;
    saveGroupOrder(dragged, group, 'row');
  });
}

async function remove(rule) {
  if (!window.confirm(`Delete the rule “${ruleLabel(rule)}”?`)) return;
  try {
    await api('DELETE', `/rules/${encodeURIComponent(rule.id)}`);
    notify(`Rule “${ruleLabel(rule)}” deleted.`);
  } catch (failure) {
    notify(failure.message, 'error');
    return;
  }
  if (state.editor && state.editor.original && state.editor.original.id === rule.id) state.editor.close();
  await reload();
}

// -- the editor ------------------------------------------------------------------------------------

function openEditor(rule, prefill = null) {
  state.editor = new RuleEditor(rule, prefill);
  fill(state.editorHost, state.editor.form);
  state.editor.form.scrollIntoView?.({ block: 'nearest' });
  state.editor.focus();
}

class RuleEditor {
  constructor(rule, prefill) {
    this.original = rule;
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
    const others = state.rules.filter((rule) => !this.original || rule.id !== this.original.id);
    const last = Math.max(0, ...state.rules.map((rule) => rule.position || 0));
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
    await reload();
    if (this.fromPolicy) {
      this.original = state.rules.find((item) => item.id === rule.id) || rule;
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
    if (state.editor === this) state.editor = null;
    this.form.remove();
  }
}

// -- the tester ------------------------------------------------------------------------------------

function testerCard() {
  const inputs = {
    product: el('input', { type: 'text', list: 'rule-products', autocomplete: 'off' }),
    channel: el('input', { type: 'text', list: 'rule-channels', autocomplete: 'off' }),
    subject: el('input', { type: 'text', autocomplete: 'off' }),
    body: el('textarea', { rows: 3 }),
    requesterName: el('input', { type: 'text', autocomplete: 'off' }),
    requesterEmail: el('input', { type: 'email', autocomplete: 'off' }),
    tags: el('input', { type: 'text', autocomplete: 'off', placeholder: 'vip, billing' }),
    json: el('textarea', { rows: 4, spellcheck: 'false', class: 'code', placeholder: '{"product": "Orange", "channel": "email", "subject": "Outage", "requester": {"email": "ada@example.com"}}' }),
  };
  const result = el('div', { class: 'tester-result', 'aria-live': 'polite' });
  const form = el('form', { class: 'card rule-tester', novalidate: true, 'aria-label': 'Rule tester', onsubmit: (event) => { event.preventDefault(); runTest(form, inputs, result); } },
    el('h3', {}, 'Test the rules'),
    el('p', { class: 'muted small' }, 'Describe a new ticket to see which rule would set its priority, why, and the SLA policy that would then apply. Nothing is saved.'),
    el('div', { class: 'form-error', role: 'alert', tabindex: '-1', hidden: true }),
    el('div', { class: 'grid' },
      field('Ticket product', inputs.product, { path: 'product' }),
      field('Ticket channel', inputs.channel, { path: 'channel' }),
      field('Subject', inputs.subject, { path: 'subject', wide: true }),
      field('Body', inputs.body, { path: 'body', wide: true }),
      field('Requester name', inputs.requesterName, { path: 'requester.name' }),
      field('Requester email', inputs.requesterEmail, { path: 'requester.email' }),
      field('Tags', inputs.tags, { path: 'tags', hint: 'Comma-separated' })),
    el('details', { class: 'paste-ticket' },
      el('summary', {}, 'Or paste a ticket (JSON)'),
      field('Ticket JSON', inputs.json, { path: 'ticket_json', wide: true, hint: 'Your helpdesk\'s ticket object, or a whole ticket.created webhook body; it fills in the fields above.' }),
      el('button', { type: 'button', onclick: () => usePasted(form, inputs, result) }, 'Use this ticket')),
    el('div', { class: 'form-actions' }, el('button', { type: 'submit', class: 'primary' }, 'Test')),
    result);
  return form;
}

function usePasted(form, inputs, result) {
  clearProblems(form);
  let ticket;
  try {
    ticket = JSON.parse(inputs.json.value);
  } catch (error) {
    showProblems(form, { problems: [`ticket_json: not valid JSON (${error.message})`], message: '' });
    return;
  }
  if (ticket && typeof ticket === 'object' && ticket.data && typeof ticket.data === 'object' && ticket.data.ticket) ticket = ticket.data.ticket;
  else if (ticket && typeof ticket === 'object' && ticket.ticket && typeof ticket.ticket === 'object') ticket = ticket.ticket;
  if (!ticket || typeof ticket !== 'object' || Array.isArray(ticket)) {
    showProblems(form, { problems: ['ticket_json: a ticket is a JSON object'], message: '' });
    return;
  }
  const text = (value) => (value === null || value === undefined ? '' : String(value));
  const requester = ticket.requester && typeof ticket.requester === 'object' ? ticket.requester : {};
  inputs.product.value = text(ticket.product);
  inputs.channel.value = text(ticket.channel);
  inputs.subject.value = text(ticket.subject);
  inputs.body.value = text(ticket.body);
  inputs.requesterName.value = text(requester.name);
  inputs.requesterEmail.value = text(requester.email);
  inputs.tags.value = Array.isArray(ticket.tags) ? ticket.tags.join(', ') : text(ticket.tags);
  runTest(form, inputs, result);
}

async function runTest(form, inputs, result) {
  clearProblems(form);
  const orNull = (value) => (value.trim() === '' ? null : value);
  const ticket = {
    product: orNull(inputs.product.value),
    channel: orNull(inputs.channel.value),
    subject: inputs.subject.value,
    body: inputs.body.value,
    requester: { name: inputs.requesterName.value, email: inputs.requesterEmail.value },
    tags: inputs.tags.value.split(',').map((tag) => tag.trim()).filter(Boolean),
  };
  let answer;
  try {
    answer = await api('POST', '/rules/explain', { body: ticket });
  } catch (failure) {
    fill(result);
    if (!showProblems(form, failure)) fill(result, failureBox(failure));
    return;
  }
  fill(result, explanation(answer, ticket));
}

function explanation(answer, ticket) {
  const fired = answer.tried.find((rule) => rule.fires);
  const before = answer.tried.filter((rule) => rule.in_scope && !rule.fires);
  const skipped = answer.tried.filter((rule) => !rule.in_scope).length;
  const policyLine = answer.policy
    ? el('p', {}, 'SLA policy that then applies: ', el('strong', { class: 'tester-policy' }, answer.policy_name))
    : el('p', { class: 'muted' }, `No enabled SLA policy covers ${ticket.product ?? '(no product)'} / ${ticket.channel ?? '(no channel)'} / ${answer.priority}: such a ticket gets no SLA targets.`);
  return el('div', { class: answer.rule ? 'inline-info tester-answer' : 'inline-warning tester-answer' },
    el('p', { class: 'tester-verdict' }, answer.rule
      ? [el('strong', {}, `Rule “${answer.rule_name}” fires`), ' → priority ', el('span', { class: `badge priority-${answer.priority}` }, capital(answer.priority))]
      : [el('strong', {}, 'No rule matched'), `: priority ${answer.priority}`]),
    el('p', { class: 'tester-reason' }, 'Why: ', answer.reason, '.'),
    fired && fired.conditions.length ? el('ul', { class: 'checklist', 'aria-label': 'Its conditions' },
      fired.conditions.map(conditionLine)) : null,
    policyLine,
    before.length ? el('details', {},
      el('summary', {}, `${before.length} rule${before.length === 1 ? '' : 's'} for this product and channel tried first`),
      el('ul', {}, before.map((rule) => el('li', {}, el('strong', {}, `“${ruleLabel(rule)}”`),
        rule.match === 'any' ? ': none of its conditions held' : ': not all of its conditions held',
        el('ul', { class: 'checklist' }, rule.conditions.map(conditionLine)))))) : null,
    skipped ? el('p', { class: 'muted small' }, `${skipped} rule${skipped === 1 ? ' is' : 's are'} for other products or channels.`) : null);
}

function conditionLine(check) {
  const seen = check.seen.some((value) => value !== '') ? check.seen.map((value) => `“${value.length > 80 ? `${value.slice(0, 80)}…` : value}”`).join(', ') : 'nothing';
  return el('li', { class: check.holds ? 'holds' : 'fails' },
    el('span', { class: 'mark', 'aria-hidden': 'true' }, check.holds ? '✓' : '✗'),
    ` ${describeCondition(check)} — `, el('span', { class: 'muted' }, `${check.holds ? 'holds' : 'does not hold'} (the ticket has ${seen})`));
}

function capital(text) {
  return text ? text[0].toUpperCase() + text.slice(1) : text;
}
