// The calendars panel: the list, the editor (calendar_editor.js), and a saved calendar's open hours of the coming
// two weeks as the SLA clocks count them (open_hours.js), holidays and DST changes marked.
import { api, canEdit, el, failureBox, fill, notify } from './ui.js';
import { CalendarEditor, DAYS } from './calendar_editor.js';
import { OpenHoursView } from './open_hours.js';

const SHORT = { mon: 'Mon', tue: 'Tue', wed: 'Wed', thu: 'Thu', fri: 'Fri', sat: 'Sat', sun: 'Sun' };
const state = {
  panel: null, calendars: [], policies: [], countries: null, editorHost: null, listHost: null,
  viewHost: null, editor: null,
};

export async function mount(panel) {
  state.panel = panel;
  state.editorHost = el('div', { id: 'calendar-editor' });
  state.listHost = el('div', { id: 'calendar-list' });
  state.viewHost = el('div', { id: 'calendar-view' });
  state.zoneList = el('datalist', { id: 'calendar-zones' });
  fill(panel,
    state.zoneList,
    el('div', { class: 'toolbar' },
      el('div', {},
        el('h2', {}, 'Calendars'),
        el('p', { class: 'muted small' },
          'Business hours in a time zone, minus holidays. A policy with a calendar counts its targets only while the calendar is open.')),
      el('div', { class: 'actions admin-only' },
        el('button', { type: 'button', class: 'primary', onclick: () => openEditor(null) }, 'New calendar'))),
    state.editorHost,
    state.listHost,
    state.viewHost);
  await reload();
  api('GET', '/timezones').then((answer) => {
    fill(state.zoneList, answer.timezones.map((value) => el('option', { value })));
  }).catch(() => {});
}

async function reload() {
  try {
    const settings = await api('GET', '/settings'); // the calendars and the policies using them in one call
    state.calendars = settings.calendars || [];
    state.policies = settings.sla_policies || [];
  } catch (failure) {
    fill(state.listHost, failureBox(failure));
    return;
  }
  renderList();
}

async function countries() {
  if (!state.countries) state.countries = (await api('GET', '/holidays/countries')).countries;
  return state.countries;
}

// -- the list --------------------------------------------------------------------------------------

function renderList() {
  if (!state.calendars.length) {
    fill(state.listHost, el('div', { class: 'card empty' },
      el('p', {}, 'No calendars yet: policies count around the clock.'),
      el('p', {}, canEdit ? 'Create one with “New calendar”, e.g. Monday to Friday 09:00–18:00 in Europe/Istanbul.' : 'An admin of your helpdesk can create them.')));
    return;
  }
  const rows = state.calendars.map((calendar) => {
    const label = calendar.name || calendar.id;
    const users = state.policies.filter((policy) => policy.calendar === calendar.id).map((policy) => policy.name);
    return el('tr', { dataset: { calendar: calendar.id } },
      el('td', {}, el('strong', {}, label), calendar.name ? el('div', { class: 'muted small' }, calendar.id) : null),
      el('td', {}, calendar.timezone),
      el('td', {}, weekSummary(calendar.hours).map((line) => el('div', {}, line))),
      el('td', {}, holidaySummary(calendar)),
      el('td', {}, users.length ? users.join(', ') : el('span', { class: 'muted' }, 'No policy')),
      el('td', { class: 'num' }, el('div', { class: 'row-actions' },
        el('button', { type: 'button', class: 'compact', 'aria-label': `Open hours of ${label}`, onclick: () => showSavedView(calendar) }, 'Open hours'),
        el('button', { type: 'button', class: 'compact', 'aria-label': `${canEdit ? 'Edit' : 'View'} ${label}`, onclick: () => openEditor(calendar) }, canEdit ? 'Edit' : 'View'),
        canEdit ? el('button', { type: 'button', class: 'compact danger', 'aria-label': `Delete ${label}`, onclick: () => remove(calendar) }, 'Delete') : null)));
  });
  fill(state.listHost, el('div', { class: 'table-wrap' }, el('table', { 'aria-label': 'Calendars' },
    el('thead', {}, el('tr', {}, ['Name', 'Time zone', 'Weekly hours', 'Holidays', 'Used by', ''].map((title) => el('th', { scope: 'col' }, title)))),
    el('tbody', {}, rows))));
}

/** "Mon–Fri 09:00–12:00, 13:00–18:00", "Sat 10:00–14:00": consecutive days with the same windows together. */
function weekSummary(hours = {}) {
  const lines = [];
  let run = null;
  for (const [day] of DAYS) {
    const text = (hours[day] || []).map(([opens, closes]) => `${opens}–${closes}`).join(', ');
    if (run && run.text === text) run.last = day;
    else { run = { first: day, last: day, text }; lines.push(run); }
  }
  const open = lines.filter((line) => line.text);
  if (!open.length) return ['Closed'];
  return open.map((line) => `${SHORT[line.first]}${line.last !== line.first ? `–${SHORT[line.last]}` : ''} ${line.text}`);
}

function holidaySummary(calendar) {
  const count = (calendar.holidays || []).length;
  const parts = [];
  if (count) parts.push(`${count} date${count === 1 ? '' : 's'}`);
  if (calendar.holiday_preset) parts.push(`${calendar.holiday_preset.country}${calendar.holiday_preset.subdivision ? `-${calendar.holiday_preset.subdivision}` : ''} public holidays`);
  return parts.length ? parts.join(' + ') : el('span', { class: 'muted' }, 'None');
}

async function remove(calendar) {
  const label = calendar.name || calendar.id;
  if (!window.confirm(`Delete the calendar “${label}”?`)) return;
  try {
    await api('DELETE', `/calendars/${encodeURIComponent(calendar.id)}`);
    notify(`Calendar “${label}” deleted.`);
  } catch (failure) {
    notify(failure.message, 'error');
    return;
  }
  if (state.editor && state.editor.original && state.editor.original.id === calendar.id) state.editor.close();
  fill(state.viewHost);
  await reload();
}

// -- the open hours of the coming days ----------------------------------------------------------------

function showSavedView(calendar) {
  const view = new OpenHoursView(`Open hours of ${calendar.name || calendar.id}`, () => calendar.id, { idPrefix: 'saved-view' });
  fill(state.viewHost, el('div', { class: 'card' }, view.node,
    el('div', { class: 'form-actions' }, el('button', { type: 'button', onclick: () => fill(state.viewHost) }, 'Close'))));
  view.load();
  view.since.focus();
}

// -- the editor ------------------------------------------------------------------------------------

function openEditor(calendar) {
  fill(state.viewHost);
  state.editor = new CalendarEditor(calendar, {
    calendarIds: () => state.calendars.map((item) => item.id),
    countries,
    knownCountries: () => state.countries,
    saved: reload,
    closed: (editor) => { if (state.editor === editor) state.editor = null; },
  });
  fill(state.editorHost, state.editor.form);
  state.editor.focus();
  state.editor.view.load();
}
