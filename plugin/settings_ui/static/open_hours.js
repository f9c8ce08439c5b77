// The open hours of a calendar's coming days, as the server's business-time code counts them
// (POST /calendars/preview): each local day's windows in local time and UTC, holidays and DST changes marked.
import { api, debounce, el, field, fill, humanDuration, viewerZone } from './ui.js';

/** A card that shows ``days`` days of open hours from a start date, for whatever ``calendarBody()`` gives. */
export class OpenHoursView {
  constructor(title, calendarBody, { idPrefix }) {
    this.calendarBody = calendarBody;
    this.since = el('input', { type: 'date', id: `${idPrefix}-from` });
    this.result = el('div', { class: 'open-hours-result', 'aria-live': 'polite' });
    this.refresh = debounce(() => this.load(), 400);
    this.since.addEventListener('change', () => this.load());
    this.node = el('section', { class: 'open-hours', 'aria-label': title },
      el('div', { class: 'toolbar' },
        el('h3', {}, title),
        el('div', { class: 'actions' }, field('From', this.since, { hint: 'Two weeks from this day' }))),
      this.result);
  }

  async load() {
    const body = this.calendarBody();
    if (!body) return;
    const request = { calendar: body, days: 14 };
    if (this.since.value) request.from = this.since.value;
    // Answers may come back out of order (the editor opens, then a start date is typed): the latest request's wins.
    const run = this.run = (this.run || 0) + 1;
    let answer;
    try {
      answer = await api('POST', '/calendars/preview', { body: request });
    } catch (failure) {
      if (run !== this.run) return; // a newer request took over
      const problems = failure.problems && failure.problems.length ? `: ${failure.problems.join('; ')}` : `: ${failure.message}`;
      fill(this.result, el('p', { class: 'muted' }, failure.status === 422 ? `The open hours show once the calendar is valid${problems}` : failure.message));
      return;
    }
    if (run !== this.run) return;
    if (!this.since.value) this.since.value = answer.from;
    fill(this.result, openHoursTable(answer));
  }
}

function openHoursTable(answer) {
  const changes = new Map(answer.offset_changes.map((change) => [change.date, change]));
  const dayLabel = (iso) => new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', weekday: 'short', day: 'numeric', month: 'short' })
    .format(new Date(`${iso}T12:00:00Z`));
  const utcTime = (iso, localDate) => { // "05:00", or "04:00 +1 d" on the UTC day after the local one
    const shift = Math.round((Date.parse(iso.slice(0, 10)) - Date.parse(localDate)) / 86400000);
    return `${iso.slice(11, 16)}${shift ? ` ${shift > 0 ? '+' : '−'}${Math.abs(shift)} d` : ''}`;
  };
  const total = answer.days.reduce((sum, day) => sum + day.open_seconds, 0);
  const rows = answer.days.map((day) => {
    const change = changes.get(day.date);
    const classes = [day.holiday ? 'day-holiday' : '', change ? 'day-dst' : '', day.windows.length ? '' : 'day-closed'].filter(Boolean).join(' ');
    return el('tr', { class: classes || null, dataset: { date: day.date } },
      el('th', { scope: 'row' }, dayLabel(day.date)),
      el('td', {}, day.windows.length ? day.windows.map((window) => el('div', {}, `${window.opens}–${window.closes}`)) : el('span', { class: 'muted' }, 'Closed')),
      el('td', { class: 'muted' }, day.windows.map((window) => el('div', {}, `${utcTime(window.opens_at, day.date)}–${utcTime(window.closes_at, day.date)}`))),
      el('td', { class: 'num' }, day.open_seconds ? humanDuration(day.open_seconds) : '—'),
      el('td', {},
        day.holiday ? el('span', { class: 'badge badge-warn' }, day.holiday_name ? `Holiday: ${day.holiday_name}` : 'Holiday') : null,
        change ? el('span', { class: 'badge badge-info dst-badge' }, changeWords(change)) : null));
  });
  return [
    el('p', { class: 'small' }, `Local times in ${answer.timezone}`, answer.timezone !== viewerZone ? ` (yours: ${viewerZone})` : '',
      `. ${humanDuration(total)} open in these ${answer.days.length} days.`),
    answer.offset_changes.length
      ? el('p', { class: 'inline-warning dst-note' }, answer.offset_changes.map((change) => `${dayLabel(change.date)}: ${changeWords(change)} (${offsetText(change.offset_before)} → ${offsetText(change.offset_after)}); that day is ${change.direction === 'forward' ? 'an hour shorter' : 'an hour longer'}. `))
      : el('p', { class: 'muted small' }, 'No daylight-saving change in these days.'),
    el('div', { class: 'table-wrap' }, el('table', { class: 'open-hours-table', 'aria-label': 'Open hours by day' },
      el('thead', {}, el('tr', {}, ['Day', 'Open (local)', 'In UTC', 'Hours', ''].map((title) => el('th', { scope: 'col' }, title)))),
      el('tbody', {}, rows))),
  ];
}

function changeWords(change) {
  return `Clocks go ${change.direction} ${change.local_before} → ${change.local_after}`;
}

function offsetText(seconds) {
  const sign = seconds < 0 ? '−' : '+';
  const minutes = Math.abs(seconds) / 60;
  return `UTC${sign}${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}
