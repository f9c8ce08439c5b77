// The settings app's shell: tabs (click, arrow keys, Home/End, the URL's #hash) and each panel's module,
// loaded the first time its tab opens. A panel module exports mount(panel) (once) and may export
// show(intent) (each time its tab is shown; intent is what navigate() passed, or null).
import { failureBox, fill } from './ui.js';

const PANELS = {
  policies: './policies.js',
  rules: './rules.js',
  calendars: './calendars.js',
  reports: './reports.js',
  whatif: './whatif.js',
  status: './status.js',
};
const tabs = [...document.querySelectorAll('[role="tab"]')];
const loaded = new Map();

async function open(name, intent = null, { focus = false } = {}) {
  if (!Object.hasOwn(PANELS, name)) name = 'policies'; // not 'constructor' or 'toString' of a crafted #hash
  for (const tab of tabs) {
    const selected = tab.dataset.tab === name;
    tab.setAttribute('aria-selected', String(selected));
    tab.tabIndex = selected ? 0 : -1;
    if (selected && focus) tab.focus();
    document.getElementById(`panel-${tab.dataset.tab}`).hidden = !selected;
  }
  if (window.location.hash !== `#${name}`) history.replaceState(null, '', `#${name}`);
  const panel = document.getElementById(`panel-${name}`);
  try {
    if (!loaded.has(name)) {
      const module = await import(PANELS[name]);
      loaded.set(name, module);
      await module.mount(panel);
    }
    const module = loaded.get(name);
    if (module.show) await module.show(intent);
  } catch (error) {
    fill(panel, failureBox(error));
  }
}

for (const tab of tabs) {
  tab.addEventListener('click', () => open(tab.dataset.tab));
  tab.addEventListener('keydown', (event) => {
    const index = tabs.indexOf(tab);
    const moves = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: tabs.length - 1 };
    if (!(event.key in moves)) return;
    event.preventDefault();
    const next = tabs[(moves[event.key] + tabs.length) % tabs.length];
    open(next.dataset.tab, null, { focus: true });
  });
}
document.addEventListener('sla:navigate', (event) => open(event.detail.tab, event.detail.intent, { focus: true }));
window.addEventListener('hashchange', () => open(window.location.hash.slice(1)));
open(window.location.hash.slice(1) || 'policies');
