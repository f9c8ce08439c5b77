// The calendar editor of the calendars panel: several opening windows a day, a time-zone picker, holidays (by
// date, a country's every year, or one year's imported as dates), and the draft's open hours as it is typed.
import {
  api, canEdit, clearProblems, el, field, fill, notify, select, showProblems, slug, viewerZone,
} from './ui.js';
import { OpenHoursView } from './open_hours.js';

export const DAYS = [['mon', 'Monday'], ['tue', 'Tuesday'], ['wed', 'Wednesday'], ['thu', 'Thursday'], ['fri', 'Friday'],
  ['sat', 'Saturday'], ['sun', 'Sunday']];

export class CalendarEditor {
  /** ``app``: calendarIds(), countries() (a promise), knownCountries() (null until loaded), saved(), closed(editor). */
  constructor(calendar, app) {
    this.original = calendar;
    this.app = app;
    this.readOnly = !canEdit;
    const source = calendar || {
      name: '', timezone: viewerZone, hours: Object.fromEntries(DAYS.slice(0, 5).map(([day]) => [day, [['09:00', '18:00']]])),
      holidays: [], holiday_preset: null,
    };
    this.inputs = {
      name: el('input', { type: 'text', value: source.name || '', maxlength: 200, autocomplete: 'off' }),
      timezone: el('input', { type: 'text', value: source.timezone, list: 'calendar-zones', autocomplete: 'off', spellcheck: 'false' }),
      presetCountry: select([['', 'None']], ''),
      presetSubdivision: el('input', { type: 'text', list: 'calendar-subdivisions', autocomplete: 'off' }),
      importCountry: select([['', 'Choose a country']], ''),
      importYear: el('input', { type: 'number', min: 1970, max: 2100, step: 1, value: new Date().getFullYear(), inputmode: 'numeric' }),
      holidayDate: el('input', { type: 'date' }),
      holidayName: el('input', { type: 'text', autocomplete: 'off' }),
    };
    this.preset = source.holiday_preset || null;
    if (this.preset) this.inputs.presetSubdivision.value = this.preset.subdivision || '';
    this.days = Object.fromEntries(DAYS.map(([day]) => [day, { windows: [], list: el('div', { class: 'windows' }) }]));
    for (const [day] of DAYS) for (const window of (source.hours || {})[day] || []) this.addWindow(day, window, false);
    this.holidayRows = el('div', { class: 'holiday-rows' });
    this.holidays = [];
    for (const holiday of source.holidays || []) this.addHoliday(typeof holiday === 'string' ? { date: holiday, name: '' } : holiday, false);
    this.subdivisions = el('datalist', { id: 'calendar-subdivisions' });
    this.view = new OpenHoursView('Open hours, next two weeks', () => this.draft(), { idPrefix: 'draft-view' });
    this.form = this.build();
    this.loadCountries();
    const refresh = () => { if (!this.readOnly) this.view.refresh(); };
    this.form.addEventListener('input', (event) => { if (!this.view.node.contains(event.target)) refresh(); });
    this.form.addEventListener('change', (event) => { if (!this.view.node.contains(event.target)) refresh(); });
  }

  build() {
    const { inputs } = this;
    const title = this.original ? (this.readOnly ? this.original.name || this.original.id : `Edit “${this.original.name || this.original.id}”`) : 'New calendar';
    const form = el('form', { class: 'card calendar-form', novalidate: true, 'aria-label': title, onsubmit: (event) => { event.preventDefault(); this.save(); } },
      el('h3', {}, title),
      el('div', { class: 'form-error', role: 'alert', tabindex: '-1', hidden: true }),
      this.subdivisions,
      el('div', { class: 'grid' },
        field('Calendar name', inputs.name, { path: 'name' }),
        field('Time zone', inputs.timezone, { path: 'timezone', hint: 'IANA name, e.g. Europe/Istanbul: type to search' })),
      el('fieldset', { id: 'calendar-hours', 'data-path': 'hours', tabindex: '-1' },
        el('legend', {}, 'Weekly opening hours'),
        el('p', { class: 'hint' }, 'Several windows a day are fine (e.g. 09:00–12:00 and 13:00–18:00). Times are HH:MM in the calendar\'s zone; 24:00 closes at midnight. A day without windows is closed.'),
        el('p', { class: 'field-error', id: 'calendar-hours-error', hidden: true }),
        DAYS.map(([day, label]) => this.dayRow(day, label)),
        this.readOnly ? null : el('button', { type: 'button', onclick: () => this.copyMonday() }, 'Copy Monday to Tuesday–Friday')),
      el('fieldset', { id: 'calendar-holidays', 'data-path': 'holidays', tabindex: '-1' },
        el('legend', {}, 'Holidays'),
        el('p', { class: 'hint' }, 'Closed all day on these local dates.'),
        el('p', { class: 'field-error', id: 'calendar-holidays-error', hidden: true }),
        this.holidayRows,
        this.readOnly ? null : el('div', { class: 'row holiday-add' },
          field('Holiday date', inputs.holidayDate),
          field('Holiday name (optional)', inputs.holidayName),
          el('button', { type: 'button', onclick: () => this.addTypedHoliday() }, 'Add holiday')),
        el('div', { class: 'grid holiday-preset' },
          field('Public holidays every year', inputs.presetCountry, { path: 'holiday_preset.country', hint: 'A country\'s public holidays, kept up to date each year' }),
          field('Region (optional)', inputs.presetSubdivision, { path: 'holiday_preset.subdivision', hint: 'A subdivision code, e.g. CA for California' })),
        this.readOnly ? null : el('div', { class: 'row holiday-import', id: 'calendar-import' },
          field('Import from country', inputs.importCountry, { path: 'country' }),
          field('Year', inputs.importYear, { path: 'year' }),
          el('button', { type: 'button', onclick: () => this.importHolidays() }, 'Import holidays'))),
      this.view.node,
      el('div', { class: 'form-actions' },
        el('button', { type: 'button', onclick: () => this.close() }, this.readOnly ? 'Close' : 'Cancel'),
        this.readOnly ? null : el('button', { type: 'submit', class: 'primary' }, 'Save calendar')));
    inputs.presetCountry.addEventListener('change', () => this.syncSubdivisions());
    if (this.readOnly) for (const control of form.querySelectorAll('input, select, textarea')) if (!this.view.node.contains(control)) control.disabled = true;
    return form;
  }

  dayRow(day, label) {
    const { list } = this.days[day];
    const labelId = `calendar-day-${day}-label`;
    return el('div', { class: 'day-row', id: `calendar-day-${day}`, role: 'group', 'aria-labelledby': labelId, 'data-path': `hours.${day}`, tabindex: '-1' },
      el('span', { class: 'day-name', id: labelId }, label),
      el('div', { class: 'day-windows' },
        list,
        el('p', { class: 'field-error', id: `calendar-day-${day}-error`, hidden: true })),
      this.readOnly ? null : el('button', { type: 'button', class: 'compact', 'aria-label': `Add a window on ${label}`, onclick: () => this.addWindow(day) }, 'Add window'));
  }

  addWindow(day, window = null, focus = true) {
    const slot = this.days[day];
    const label = DAYS.find(([key]) => key === day)[1];
    const previous = slot.windows.at(-1);
    const [opens, closes] = window || (previous ? [previous.closes.value, ''] : ['09:00', '18:00']);
    const number = slot.windows.length + 1;
    const time = (value, what) => {
      const input = el('input', { type: 'text', value, inputmode: 'numeric', placeholder: 'HH:MM', maxlength: 5, autocomplete: 'off', class: 'time', pattern: '([01][0-9]|2[0-3]):[0-5][0-9]|24:00', id: `calendar-${day}-${number}-${what}` });
      return [el('label', { for: input.id, class: 'sr-only' }, `${label} window ${number} ${what}`), input];
    };
    const [opensLabel, opensInput] = time(opens, 'opens');
    const [closesLabel, closesInput] = time(closes, 'closes');
    const entry = { opens: opensInput, closes: closesInput };
    entry.node = el('div', { class: 'window' }, opensLabel, opensInput, el('span', { 'aria-hidden': 'true' }, '–'), closesLabel, closesInput,
      this.readOnly ? null : el('button', { type: 'button', class: 'compact danger', 'aria-label': `Remove ${label} window ${number}`, onclick: () => this.removeWindow(day, entry) }, '×'));
    if (this.readOnly) { opensInput.disabled = true; closesInput.disabled = true; }
    slot.windows.push(entry);
    slot.list.append(entry.node);
    if (focus) (window || previous ? closesInput : opensInput).focus();
    if (focus) this.view?.refresh();
  }

  removeWindow(day, entry) {
    const slot = this.days[day];
    const kept = slot.windows.filter((item) => item !== entry).map((item) => [item.opens.value, item.closes.value]);
    slot.windows = [];
    slot.list.replaceChildren();
    for (const window of kept) this.addWindow(day, window, false);
    const row = document.getElementById(`calendar-day-${day}`);
    (slot.windows.at(-1)?.closes || row.querySelector('button') || row).focus();
    this.view.refresh();
  }

  copyMonday() {
    const monday = this.days.mon.windows.map((item) => [item.opens.value, item.closes.value]);
    for (const day of ['tue', 'wed', 'thu', 'fri']) {
      this.days[day].windows = [];
      this.days[day].list.replaceChildren();
      for (const window of monday) this.addWindow(day, window, false);
    }
    this.view.refresh();
  }

  addHoliday(holiday, focus = true) {
    const index = this.holidays.length;
    const number = index + 1;
    const dateId = `calendar-holiday-${number}-date`;
    const nameId = `calendar-holiday-${number}-name`;
    const row = {
      date: el('input', { type: 'date', value: holiday.date || '', id: dateId, 'aria-describedby': `${dateId}-error` }),
      name: el('input', { type: 'text', value: holiday.name || '', id: nameId, autocomplete: 'off', placeholder: 'Name (optional)' }),
    };
    row.date.dataset.path = `holidays[${index}]`;
    // One line a holiday: the labels are for screen readers (and the problems' placement), not the eye.
    row.node = el('div', { class: 'holiday-row' },
      el('label', { for: dateId, class: 'sr-only' }, `Holiday ${number} date`), row.date,
      el('label', { for: nameId, class: 'sr-only' }, `Holiday ${number} name`), row.name,
      this.readOnly ? null : el('button', { type: 'button', class: 'compact danger', 'aria-label': `Remove holiday ${number}`, onclick: () => this.removeHoliday(row) }, 'Remove'),
      el('p', { class: 'field-error', id: `${dateId}-error`, hidden: true }));
    if (this.readOnly) { row.date.disabled = true; row.name.disabled = true; }
    this.holidays.push(row);
    this.holidayRows.append(row.node);
    if (focus) row.name.focus();
  }

  /** Rebuild the holiday rows (sorted by date, or as given) so that their numbers follow their order. */
  setHolidays(holidays, sort = true) {
    const list = sort ? [...holidays].sort((a, b) => (a.date || '9999').localeCompare(b.date || '9999')) : holidays;
    this.holidays = [];
    this.holidayRows.replaceChildren();
    for (const holiday of list) this.addHoliday(holiday, false);
    this.view.refresh();
  }

  currentHolidays() {
    return this.holidays.map((row) => ({ date: row.date.value, name: row.name.value }));
  }

  removeHoliday(row) {
    this.setHolidays(this.currentHolidays().filter((_, index) => this.holidays[index] !== row), false);
    (this.holidays.at(-1)?.name || this.inputs.holidayDate).focus();
  }

  addTypedHoliday() {
    const { holidayDate, holidayName } = this.inputs;
    if (!holidayDate.value) { holidayDate.focus(); notify('Pick the holiday\'s date first.', 'info'); return; }
    const date = holidayDate.value;
    this.setHolidays([...this.currentHolidays().filter((holiday) => holiday.date !== date), { date, name: holidayName.value }]);
    holidayDate.value = '';
    holidayName.value = '';
    holidayDate.focus();
  }

  async importHolidays() {
    const box = this.form.querySelector('#calendar-import');
    clearProblems(box);
    let answer;
    try {
      answer = await api('GET', '/holidays', { query: { country: this.inputs.importCountry.value, year: this.inputs.importYear.value } });
    } catch (failure) {
      showProblems(box, failure);
      return;
    }
    const known = new Set(this.currentHolidays().map((holiday) => holiday.date));
    const fresh = answer.holidays.filter((holiday) => !known.has(holiday.date));
    this.setHolidays([...this.currentHolidays(), ...fresh]);
    notify(`${fresh.length} public holiday${fresh.length === 1 ? '' : 's'} of ${answer.year} added${fresh.length < answer.holidays.length ? ` (${answer.holidays.length - fresh.length} already there)` : ''}. Save the calendar to keep them.`);
  }

  async loadCountries() {
    let list;
    try {
      list = await this.app.countries();
    } catch {
      return;
    }
    const options = list.map((country) => el('option', { value: country.code }, `${country.name} (${country.code})`));
    this.inputs.presetCountry.append(...options);
    this.inputs.importCountry.append(...options.map((option) => option.cloneNode(true)));
    if (this.preset) this.inputs.presetCountry.value = this.preset.country;
    this.syncSubdivisions();
  }

  syncSubdivisions() {
    const country = (this.app.knownCountries() || []).find((item) => item.code === this.inputs.presetCountry.value);
    fill(this.subdivisions, (country ? country.subdivisions : []).map((value) => el('option', { value })));
    this.inputs.presetSubdivision.disabled = this.readOnly || !this.inputs.presetCountry.value;
  }

  /** The calendar as the API takes it, from what is typed. */
  draft() {
    const { inputs } = this;
    const taken = this.app.calendarIds().filter((id) => !this.original || id !== this.original.id);
    const hours = {};
    for (const [day] of DAYS) {
      const windows = this.days[day].windows.map((item) => [item.opens.value.trim(), item.closes.value.trim()]);
      if (windows.length) hours[day] = windows;
    }
    const country = inputs.presetCountry.value;
    return {
      ...(this.original || {}),
      id: this.original ? this.original.id : slug(inputs.name.value || inputs.timezone.value || 'calendar', taken),
      name: inputs.name.value,
      timezone: inputs.timezone.value.trim(),
      hours,
      holidays: this.currentHolidays().map((holiday) => (holiday.name ? holiday : holiday.date)),
      holiday_preset: country ? { country, subdivision: inputs.presetSubdivision.value.trim() || null }
        : (this.app.knownCountries() ? null : this.preset), // the countries not loaded yet: keep the saved preset
    };
  }

  async save() {
    const calendar = this.draft();
    clearProblems(this.form);
    try {
      if (this.original) await api('PUT', `/calendars/${encodeURIComponent(this.original.id)}`, { body: calendar });
      else await api('POST', '/calendars', { body: calendar });
    } catch (failure) {
      const placed = showProblems(this.form, failure);
      if (!placed && failure.status === 403) notify(failure.message, 'error');
      return;
    }
    notify(`Calendar “${calendar.name || calendar.id}” saved.`);
    this.close();
    await this.app.saved();
  }

  focus() {
    this.inputs.name.focus();
  }

  close() {
    this.app.closed(this);
    this.form.remove();
  }
}
