// Supervisor wallboard (templates/wallboard.html). Reads the live queue
// figures and agent states from the API, applies the CTI event stream as
// it comes (a caller joining or leaving a queue, an agent changing state)
// and re-reads the figures shortly after, so the board follows the box
// without a reload. All text from the server is inserted as text.
'use strict';
(() => {
  const root = document.getElementById('wallboard');
  if (!root) return;
  const S = JSON.parse(document.getElementById('console-strings').textContent);
  const csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || '';
  const $ = (id) => document.getElementById(id);

  const queues = new Map(); // name -> live figures, as /api/v1/queues/live gives them
  const agents = new Map(); // id -> agent, as /api/v1/agents gives them
  let fetchedAt = Date.now(); // when queues were last read, for the longest wait's clock

  function fmt(sec) {
    sec = Math.max(0, Math.round(sec));
    const h = Math.floor(sec / 3600), m = Math.floor(sec / 60) % 60, s = sec % 60;
    const mm = h ? String(m).padStart(2, '0') : String(m);
    return (h ? h + ':' : '') + mm + ':' + String(s).padStart(2, '0');
  }

  function say(text, bad) {
    const m = $('msg');
    m.textContent = text;
    m.classList.toggle('bad', !!bad);
  }

  // --- queues

  function renderQueues() {
    const box = $('queues');
    if (queues.size === 0) {
      box.replaceChildren(Object.assign(document.createElement('p'), { className: 'hint', textContent: S['agentui.board.empty-queues'] }));
      return;
    }
    const tpl = $('queue-tpl');
    const cards = [];
    for (const q of [...queues.values()].sort((a, b) => a.queue.localeCompare(b.queue))) {
      const card = tpl.content.firstElementChild.cloneNode(true);
      card.dataset.queue = q.queue;
      card.querySelector('.qname').textContent = q.queue;
      const day = q.day || {};
      const set = (f, v, cls) => {
        const el = card.querySelector('[data-f="' + f + '"]');
        el.textContent = v;
        if (cls) el.parentElement.classList.add(cls);
      };
      set('waiting', q.waiting, q.waiting > 0 ? 'hot' : '');
      set('oldest', q.waiting > 0 ? fmt(q.oldestWait / 1e9 + (Date.now() - fetchedAt) / 1000) : '–');
      set('sl', Math.round(q.serviceLevel) + '%', q.serviceLevel >= 80 ? 'good' : 'hot');
      set('answered', day.answered || 0);
      set('abandoned', day.abandoned || 0, day.abandoned > 0 ? 'hot' : '');
      set('agents', q.available + ' / ' + q.loggedIn);
      cards.push(card);
    }
    box.replaceChildren(...cards);
  }

  async function loadQueues() {
    const r = await fetch('/api/v1/queues/live', { credentials: 'same-origin' });
    if (!r.ok) return;
    const list = await r.json();
    queues.clear();
    for (const q of list) queues.set(q.queue, q);
    fetchedAt = Date.now();
    renderQueues();
  }

  // --- agents

  function renderAgents() {
    const body = $('agents');
    if (agents.size === 0) {
      const td = Object.assign(document.createElement('td'), { colSpan: 7, className: 'hint', textContent: S['agentui.board.empty-agents'] });
      const tr = document.createElement('tr');
      tr.append(td);
      body.replaceChildren(tr);
      return;
    }
    const rows = [];
    for (const a of [...agents.values()].sort((x, y) => (x.name || x.id).localeCompare(y.name || y.id))) {
      const tr = document.createElement('tr');
      tr.dataset.agent = a.id;
      const cell = (text, cls) => {
        const td = document.createElement('td');
        td.textContent = text;
        if (cls) td.className = cls;
        tr.append(td);
        return td;
      };
      cell(a.name || a.id);
      cell(a.extension || '');
      const st = cell('');
      const badge = document.createElement('span');
      badge.className = 'state-badge s-' + a.state;
      badge.textContent = (S['agentui.state.' + a.state] || a.state) + (a.reason ? ' · ' + (S['agentui.reason.' + a.reason] || a.reason) : '');
      st.append(badge);
      const t = cell('', 'num since');
      t.dataset.since = a.since || '';
      cell(a.queue || '');
      cell(a.calls, 'num');
      const sup = cell('', 'sup');
      for (const mode of ['listen', 'whisper', 'barge']) {
        const b = document.createElement('button');
        b.type = 'button';
        b.className = 'act small';
        b.dataset.mode = mode;
        b.dataset.agent = a.id;
        b.textContent = S['agentui.board.' + mode];
        b.disabled = a.state !== 'oncall';
        sup.append(b);
      }
      rows.push(tr);
    }
    body.replaceChildren(...rows);
    tick();
  }

  async function loadAgents() {
    const r = await fetch('/api/v1/agents', { credentials: 'same-origin' });
    if (!r.ok) return;
    const list = await r.json();
    agents.clear();
    for (const a of list) agents.set(a.id, a);
    renderAgents();
  }

  function tick() {
    $('clock').textContent = new Date().toLocaleTimeString(document.documentElement.lang || undefined);
    for (const td of document.querySelectorAll('#agents td.since')) {
      const s = Date.parse(td.dataset.since);
      td.textContent = isNaN(s) ? '' : fmt((Date.now() - s) / 1000);
    }
    for (const card of document.querySelectorAll('.qcard')) {
      const q = queues.get(card.dataset.queue);
      if (q && q.waiting > 0) card.querySelector('[data-f="oldest"]').textContent = fmt(q.oldestWait / 1e9 + (Date.now() - fetchedAt) / 1000);
    }
  }

  // --- events: applied at once, then the figures are re-read

  let refetch = null;
  function soon() {
    clearTimeout(refetch);
    refetch = setTimeout(() => { loadQueues(); loadAgents(); }, 400);
  }

  const handlers = {
    'queue.joined': (e) => {
      const q = queues.get(e.queue);
      if (q) {
        if (q.waiting === 0) { q.oldestWait = 0; fetchedAt = Date.now(); }
        q.waiting++;
        renderQueues();
      }
      soon();
    },
    'queue.left': (e) => {
      const q = queues.get(e.queue);
      if (q) {
        q.waiting = Math.max(0, q.waiting - 1);
        q.day = q.day || {};
        if (e.reason === 'answered') q.day.answered = (q.day.answered || 0) + 1;
        if (e.reason === 'abandoned') q.day.abandoned = (q.day.abandoned || 0) + 1;
        renderQueues();
      }
      soon();
    },
    'agent.state': (e) => {
      const a = agents.get(e.agent);
      if (a) {
        a.state = e.to;
        a.reason = e.reason || '';
        a.since = (e.meta && e.meta.at) || new Date().toISOString();
        renderAgents();
      }
      soon();
    },
    // The queue side's own figures (sent when they change): shown as
    // they come, with nothing to re-read.
    'queue.stats': (e) => {
      const q = queues.get(e.queue) || { queue: e.queue, day: {} };
      q.day = q.day || {};
      Object.assign(q, { waiting: e.waiting, oldestWait: e.oldestWait, loggedIn: e.loggedIn, available: e.available,
        serviceLevel: e.serviceLevel });
      Object.assign(q.day, { offered: e.offered, answered: e.answered, abandoned: e.abandoned });
      queues.set(e.queue, q);
      fetchedAt = Date.now();
      renderQueues();
    },
    'call.answered': soon,
    'call.ended': soon,
    'reset': () => { say(S['agentui.stream.reset']); loadQueues(); loadAgents(); },
  };

  let lastID = '';
  let retry = 1000;
  function streamState(live) {
    const s = $('stream');
    s.className = 'stream ' + (live ? 'live' : 'lost');
    s.textContent = live ? S['agentui.stream.live'] : S['agentui.stream.lost'];
  }
  function connect() {
    // EventSource reconnects by itself with Last-Event-ID; when it gives
    // up, a new one starts from the last ID seen.
    const es = new EventSource('/api/v1/events' + (lastID ? '?lastEventId=' + encodeURIComponent(lastID) : ''));
    es.onopen = () => { retry = 1000; streamState(true); };
    es.onerror = () => {
      streamState(false);
      if (es.readyState === EventSource.CLOSED) {
        setTimeout(connect, retry);
        retry = Math.min(retry * 2, 30000);
      }
    };
    for (const [type, fn] of Object.entries(handlers)) {
      es.addEventListener(type, (ev) => {
        if (ev.lastEventId) lastID = ev.lastEventId;
        let d = {};
        try { d = JSON.parse(ev.data); } catch (err) { return; }
        fn(d);
      });
    }
  }

  // --- supervision

  const ext = $('sup-ext');
  ext.value = localStorage.getItem('callbox.supervisorExt') || '';
  ext.addEventListener('change', () => localStorage.setItem('callbox.supervisorExt', ext.value));

  $('agents').addEventListener('click', async (ev) => {
    const b = ev.target.closest('button[data-mode]');
    if (!b) return;
    if (!ext.value) { say(S['agentui.board.no-ext'], true); ext.focus(); return; }
    const r = await fetch('/api/v1/agents/' + encodeURIComponent(b.dataset.agent) + '/supervise', {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
      body: JSON.stringify({ extension: ext.value, mode: b.dataset.mode }),
    });
    if (r.ok) { say(S['agentui.done']); return; }
    let m = String(r.status);
    try {
      const j = await r.json();
      m = j.error || Object.values(j.errors || {}).join('; ') || m;
    } catch (err) { /* not JSON */ }
    say(S['agentui.failed'].replace('%s', m), true);
  });

  loadQueues();
  loadAgents();
  connect();
  setInterval(tick, 1000);
  // The figures of the day (service level, answered) also move with no
  // event the stream carries; a slow re-read keeps them honest.
  setInterval(() => { loadQueues(); loadAgents(); }, 15000);
})();
