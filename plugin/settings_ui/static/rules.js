// The prioritization rules panel: rules grouped per product and channel in the order they are tried,
// reordered by keyboard (Move up / Move down, or Alt+↑/↓ on a row) and by drag and drop; an editor with a
// condition builder; and a tester that names the rule a sample ticket gets, why (the server's explanation,
// from the plugin's one rule matcher), the priority and the SLA policy that then applies.
import { api, canEdit, CHANNELS, el, failureBox, fill, notify } from './ui.js';
import { capital, describeCondition, ruleLabel, scopeKey } from './rule_words.js';
import { RuleEditor } from './rule_editor.js';
import { testerCard } from './rule_tester.js';

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
    const settings = await api('GET', '/settings'); // the rules and the policies needing them in one call
    state.rules = settings.prioritization_rules || [];
    state.policies = settings.sla_policies || [];
  } catch (failure) {
    fill(state.listHost, failureBox(failure));
    return;
  }
  const products = new Set([...state.rules, ...state.policies].map((item) => item.product).filter((value) => value !== '*'));
  fill(state.products, ['*', ...products].map((value) => el('option', { value })));
  renderList();
}

// -- the list, grouped per product and channel ------------------------------------------------------

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

// -- the editor (rule_editor.js) -------------------------------------------------------------------

function openEditor(rule, prefill = null) {
  state.editor = new RuleEditor(rule, prefill, {
    rules: () => state.rules,
    saved: reload,
    closed: (editor) => { if (state.editor === editor) state.editor = null; },
  });
  fill(state.editorHost, state.editor.form);
  state.editor.form.scrollIntoView?.({ block: 'nearest' });
  state.editor.focus();
}
