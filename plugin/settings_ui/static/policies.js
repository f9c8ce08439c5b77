// The SLA policies panel: the policies, enabled or not, and their editor (policy_editor.js).
import { api, canEdit, el, fill, failureBox, METRIC_LABELS, notify } from './ui.js';
import { PolicyEditor } from './policy_editor.js';

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

function openEditor(host, policy) {
  const editor = new PolicyEditor(policy, state, reload);
  state.editor = editor;
  fill(host, editor.form);
  editor.focus();
}
