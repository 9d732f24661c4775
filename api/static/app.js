// 群秘控制台: plain fetch + polling over the REST API; charts with the vendored ECharts.
"use strict";

const $ = (id) => document.getElementById(id);
const state = {
  auth: null, signing: null,
  members: new Map(), chats: [], groups: [], me: null, group: null, busy: false,
  risk: new Map(), riskAt: 0, view: "chat", projects: [], offset: "+08:00", today: null,
  cal: { mode: "week", anchor: null, focus: null }, picked: loadPicked(), selectedProject: null,
  charts: new Map(),
};
// Answers picked for Qunmi's questions, kept across reloads (the last 200).
function loadPicked() {
  try { return new Map(JSON.parse(localStorage.getItem("qunmi.picked") || "[]")); } catch (e) { return new Map(); }
}
function savePicked() {
  localStorage.setItem("qunmi.picked", JSON.stringify([...state.picked].slice(-200)));
}
const RISK = { high: "高", medium: "中", low: "低" };
const STATUS = { todo: "待办", in_progress: "进行中", blocked: "受阻", done: "已完成", cancelled: "已取消" };
const COLUMNS = ["todo", "in_progress", "blocked", "done"];
const ROLE = { admin: "管理员", pm: "项目经理", member: "成员" };
const PRIORITY = { urgent: "紧急", high: "高", normal: "普通", low: "低" };
const EVENT = { created: "创建", status: "状态", due: "截止时间", assignee: "负责人", priority: "优先级", note: "进展", undo: "撤销" };
const VIEWS = ["chat", "board", "calendar", "gantt", "projects", "members"];
const WEEKDAYS = "一二三四五六日";

// -- the one fetch helper ------------------------------------------------------------------
// Every request goes through here: it sends the session cookie, asks for sign-in on 401, and
// never lets the browser cache an answer (what a person may see depends on who they are).

// Sign-in: the server keeps the session in an HttpOnly cookie (the page never sees it). When a
// request needs sign-in, the console asks once for a personal token — or a name, and Qunmi
// sends that person a one-time link in WeCom.
async function signIn() {
  const entered = window.prompt("请登录群秘：输入个人令牌（qunmi token create 生成），或输入你的名字，登录链接会发到你的企业微信");
  if (!entered || !entered.trim()) return false;
  const value = entered.trim();
  if (!value.startsWith("qm_")) {
    await fetch("/auth/link", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ member: value }) });
    $("status").textContent = "如果这个名字绑定了企业微信，登录链接已发给 TA";
    return false;
  }
  const r = await fetch("/auth/session", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ token: value }) });
  return r.ok;
}

async function api(path, options, retried) {
  const response = await fetch(path, { ...(options || {}), credentials: "same-origin", cache: "no-store" });
  if (response.status === 401 && !retried) {
    // Requests that fail together share one sign-in prompt.
    state.signing = state.signing || signIn().then(async (ok) => { if (ok) await loadMe(); return ok; });
    const ok = await state.signing;
    state.signing = null;
    if (ok) return api(path, options, true);
  }
  if (!response.ok && response.status !== 202) {
    let reason = response.statusText;
    try { reason = (await response.json()).reason || reason; } catch (e) { /* not JSON */ }
    throw new Error(reason);
  }
  return response.json();
}

// Who the console acts as: the signed-in person, or (local mode, no tokens configured) whoever
// the operator picks.
async function loadMe() {
  const me = await (await fetch("/auth/me", { credentials: "same-origin" })).json();
  state.auth = me;
  const who = $("who");
  const out = $("sign-out");
  if (me.kind === "session" || me.kind === "token") {
    who.textContent = `已登录：${me.display_name}`;
    out.hidden = false;
  } else if (me.kind === "local") {
    who.textContent = "本机模式";
    out.hidden = true;
  } else {
    who.textContent = "未登录";
    out.hidden = true;
  }
  return me;
}

async function signOut() {
  await fetch("/auth/session", { method: "DELETE", credentials: "same-origin" });
  window.location.reload();
}

const post = (path, body) => api(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

const esc = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function option(value, label) {
  const opt = el("option", "", label);
  opt.value = value;
  return opt;
}

function toast(text, ok) {
  const box = $("toast");
  box.textContent = text;
  box.className = ok ? "toast ok" : "toast";
  box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { box.hidden = true; }, 4000);
}

// -- times ---------------------------------------------------------------------------------
// Times come from the server in the team's timezone (ISO 8601 with its offset); show that wall
// clock as it is, whatever timezone the browser runs in. Dates are "YYYY-MM-DD" strings.
function fmt(iso) {
  if (!iso) return "";
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(iso);
  if (!m) return iso;
  return `${Number(m[2])}月${Number(m[3])}日 ${m[4]}:${m[5]}`;
}
const hm = (iso) => (iso ? iso.slice(11, 16) : "");
const ymd = (iso) => iso.slice(0, 10);
function dayAdd(day, n) {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}
const weekday = (day) => (new Date(`${day}T00:00:00Z`).getUTCDay() + 6) % 7; // Monday = 0
const dayLabel = (day) => `${Number(day.slice(5, 7))}月${Number(day.slice(8, 10))}日`;
function learnNow(iso) {
  if (!iso) return;
  state.today = ymd(iso);
  const m = /([+-]\d{2}:\d{2}|Z)$/.exec(iso);
  if (m) state.offset = m[1] === "Z" ? "+00:00" : m[1];
}
// Milliseconds whose UTC reading is the team's wall clock (charts run with useUTC).
function wall(iso) {
  const sign = state.offset[0] === "-" ? -1 : 1;
  const [h, mi] = state.offset.slice(1).split(":").map(Number);
  return Date.parse(iso) + sign * (h * 60 + mi) * 60000;
}

// -- team, chats and the chat picker -------------------------------------------------------
async function loadTeam() {
  const members = await api("/members?limit=200");
  state.members = new Map(members.items.map((m) => [m.id, m]));
  const me = $("me");
  me.replaceChildren(...members.items.map((m) => option(m.display_name, m.aliases.length ? `${m.display_name}（${m.aliases.join("、")}）` : m.display_name)));
  const signedIn = state.auth && state.auth.member_id !== null && state.auth.kind !== "local";
  const saved = localStorage.getItem("qunmi.me");
  if (signedIn) me.value = state.auth.display_name;
  else if (saved && members.items.some((m) => m.display_name === saved)) me.value = saved;
  me.disabled = Boolean(signedIn);  // signed in: you are who you signed in as
  state.me = me.value;
  await loadChats();
  await loadProjects();
}

// One group may reach Qunmi through several channels (console, WeCom, the API): the picker
// lists each group once, and its view merges the messages of all of them.
async function loadChats() {
  const chats = await api("/chats?limit=200");
  state.chats = chats.items;
  const groups = new Map();
  for (const c of chats.items) {
    const g = groups.get(c.name) || { key: c.name, name: c.name, ids: [], chats: [], project_id: null };
    g.ids.push(c.id);
    g.chats.push(c);
    if (g.project_id === null && c.project_id !== null) g.project_id = c.project_id;
    groups.set(c.name, g);
  }
  state.groups = [...groups.values()];
  for (const g of state.groups) g.target = g.chats.find((c) => c.channel === "console") || g.chats[0];
  const picker = $("chat");
  const previous = picker.value;
  picker.replaceChildren(...state.groups.map((g) => option(g.key, g.name)));
  const console_ = state.groups.find((g) => g.chats.some((c) => c.channel === "console"));
  if (previous && state.groups.some((g) => g.key === previous)) picker.value = previous;
  else if (console_) picker.value = console_.key;
  selectChat();
}

function selectChat() {
  state.group = state.groups.find((g) => g.key === $("chat").value) || null;
  $("chat-title").textContent = state.group ? state.group.name : "群聊";
}

async function loadProjects() {
  const projects = await api("/projects?limit=200");
  state.projects = projects.items;
  for (const id of ["board-project", "gantt-project", "member-project"]) {
    const select = $(id);
    const previous = select.value;
    select.replaceChildren(option("", "全部项目"), ...projects.items.map((p) => option(String(p.id), p.name)));
    if (previous) select.value = previous;
  }
  // The board and the Gantt chart open on the group's project.
  if (!state.projectPreset && state.group && state.group.project_id) {
    state.projectPreset = true;
    for (const id of ["board-project", "gantt-project"]) $(id).value = String(state.group.project_id);
  }
}

const projectName = (id) => (state.projects.find((p) => p.id === id) || {}).name || "";
const meRecord = () => [...state.members.values()].find((m) => m.display_name === state.me) || null;

// -- chat ----------------------------------------------------------------------------------
// What the scheduler sent to this chat (reminders, alerts, summaries), from the outbox.
function outboxNode(o) {
  const li = el("li", "msg outbox");
  li.dataset.outboxId = String(o.id);
  const who = (o.mention_all ? ["@所有人"] : []).concat(o.mentions.map((p) => `@${p.name}`));
  li.append(el("div", "who", `群秘 · ${fmt(o.sent_at || o.created_at)}${o.state === "sent" ? "" : " · 待发送"}`));
  const c = el("div", `card ${o.kind}`);
  c.append(...linkify(who.length ? `${o.text}\n${who.join(" ")}` : o.text, new Map()));
  c.setAttribute("data-kind", o.kind);
  li.append(c);
  return li;
}

// Card text with its links made live: a console link (…/#task-12) opens that record here,
// whatever host the server was told it lives at; "#12" opens the record the reply was about.
const LINK = /(https?:\/\/[^\s，。）)]+)|[#＃](\d{1,9})(?=「)/g;
function linkify(text, refs) {
  const out = [];
  let last = 0;
  for (const m of text.matchAll(LINK)) {
    if (m.index > last) out.push(document.createTextNode(text.slice(last, m.index)));
    const a = el("a", "", m[0]);
    if (m[1]) {
      const local = /#((?:task|meeting|project|milestone)-\d+)$/.exec(m[1]);
      if (local) a.href = `#${local[1]}`;
      else { a.href = m[1]; a.target = "_blank"; a.rel = "noopener noreferrer"; }
    } else {
      const kind = refs.get(Number(m[2]));
      if (!kind) { out.push(document.createTextNode(m[0])); last = m.index + m[0].length; continue; }
      a.href = `#${kind}-${m[2]}`;
    }
    a.dataset.link = a.getAttribute("href");
    out.push(a);
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push(document.createTextNode(text.slice(last)));
  return out;
}

// The replies a card offers (回复“撤销”, 回复“确认”) as buttons that send exactly that reply.
const OFFERED = /回复“([^”]{1,20})”/g;
function replyButtons(text, allowUndo) {
  const words = [...new Set([...text.matchAll(OFFERED)].map((m) => m[1]))]
    .filter((w) => allowUndo || !/^撤/.test(w));
  if (!words.length) return null;
  const bar = el("div", "actions");
  for (const w of words) {
    const b = el("button", "reply", w);
    b.type = "button";
    b.dataset.reply = w;
    b.addEventListener("click", () => sendText(w));
    bar.append(b);
  }
  return bar;
}

// "是哪一个？": one button per candidate; a click applies the same call with that record (or
// person) through the tool endpoint, as the person picking, so the permission check applies.
const REF_KEYS = ["task", "meeting", "milestone"];
const NAME_KEYS = ["assignee", "owner", "member", "name"];
function pickButtons(messageId, index, result) {
  const candidates = (result.error && result.error.details && result.error.details.candidates) || [];
  if (!candidates.length) return null;
  const keys = candidates[0].title !== undefined ? REF_KEYS : NAME_KEYS;
  const key = keys.find((k) => typeof result.args[k] === "string");
  if (!key) return null;
  const slot = `${messageId}:${index}`;
  const bar = el("div", "actions");
  const done = state.picked.get(slot);
  for (const c of candidates.slice(0, 8)) {
    const label = c.title !== undefined ? `#${c.id} ${c.title}` : c.name;
    const b = el("button", "pick", label);
    b.type = "button";
    b.dataset.candidate = String(c.id);
    b.disabled = Boolean(done);
    b.addEventListener("click", async () => {
      const args = { ...result.args, [key]: c.title !== undefined ? `#${c.id}` : c.name };
      bar.querySelectorAll("button").forEach((x) => { x.disabled = true; });
      try {
        const applied = await post(`/tools/${encodeURIComponent(result.tool)}`, {
          actor: state.me, chat_id: state.group ? state.group.target.id : null,
          idempotency_key: `pick:${slot}:${c.id}`, args,
        });
        const rec = applied.record || {};
        state.picked.set(slot, `✅ 已选 ${label}${rec.status ? ` · ${STATUS[rec.status] || rec.status}` : ""}`);
        savePicked();
        await refresh();
      } catch (err) {
        bar.querySelectorAll("button").forEach((x) => { x.disabled = false; });
        toast(`没能完成：${err.message}`);
      }
    });
    bar.append(b);
  }
  if (done) bar.append(el("div", "picked", done));
  return bar;
}

function renderMessages(items, sent) {
  const list = $("messages");
  const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 60;
  const nodes = [];
  const byTime = (a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0);
  const timeline = items.map((m) => ({ at: m.received_at, m }))
    .concat((sent || []).map((o) => ({ at: o.sent_at || o.created_at, o })))
    .sort(byTime);
  // "撤销" undoes the sender's latest applied message: offer it there only.
  const mine = items.filter((m) => senderName(m) === state.me && ((m.result && m.result.results) || []).some((r) => r.audit_id));
  const undoable = mine.length ? mine.reduce((a, b) => (a.id > b.id ? a : b)).id : null;
  for (const entry of timeline) {
    if (entry.o) { nodes.push(outboxNode(entry.o)); continue; }
    const m = entry.m;
    const name = senderName(m);
    const li = el("li", `msg${name === state.me ? " mine" : ""}`);
    li.dataset.messageId = String(m.id);
    li.append(el("div", "who", `${name} · ${fmt(m.received_at)}`), el("div", "bubble", m.text || `[${m.kind}]`));
    const results = (m.result && m.result.results) || [];
    const refs = new Map();
    for (const r of results) {
      if (r.record && r.record.id && r.kind) refs.set(r.record.id, r.kind);
      // "已经有一个很像的任务 #7「…」": that task opens from the question.
      const existing = r.error && r.error.details && r.error.details.existing;
      if (existing && existing.id) refs.set(existing.id, r.tool.endsWith("meeting") ? "meeting" : "task");
    }
    const questions = results.map((r, i) => [r, i]).filter(([r]) => !r.ok && r.error && r.error.code === "ambiguous");
    let q = 0;
    for (const card of (m.result && m.result.cards) || []) {
      const c = el("div", `card ${card.kind || ""}`);
      c.append(...linkify(card.text, refs));
      c.setAttribute("data-kind", card.kind || "");
      const offered = replyButtons(card.text, m.id === undoable);
      if (offered) c.append(offered);
      if (card.kind === "question" && q < questions.length) {
        const [r, i] = questions[q++];
        const picks = pickButtons(m.id, i, r);
        if (picks) c.append(picks);
      }
      li.append(c);
    }
    if (m.state === "received" || m.state === "processing") li.append(el("div", "pending", "群秘处理中…"));
    if (m.state === "failed" || m.state === "dead") li.append(el("div", "card error", `处理失败：${m.error || ""}`));
    nodes.push(li);
  }
  list.replaceChildren(...nodes);
  if (nearBottom) list.scrollTop = list.scrollHeight;
}

function senderName(m) {
  const sender = state.members.get(m.sender_id);
  return sender ? sender.display_name : "?";
}

function flags(t, node) {
  if (t.overdue) node.append(" ", el("span", "flag overdue", "已逾期"));
  else if (t.due_soon) node.append(" ", el("span", "flag due-soon", "快到期"));
  const risk = state.risk.get(t.id);
  if (risk && t.status !== "done" && t.status !== "cancelled") {
    // Delay risk from GET /risk: a small badge, the reasons and suggestions on hover.
    const badge = el("span", `risk ${risk.level}`, `延期风险${RISK[risk.level]} ${Math.round(risk.risk * 100)}%`);
    badge.title = [...risk.reasons, ...risk.suggestions.map((s) => `建议：${s.text}（回复“${s.command}”）`)].join("\n");
    node.append(" ", badge);
  }
}
const atRisk = (t) => { const r = state.risk.get(t.id); return Boolean(r && r.level !== "low" && t.status !== "done"); };
const taskClass = (t) => [t.status, t.overdue ? "overdue" : "", !t.overdue && atRisk(t) ? "at-risk" : ""].filter(Boolean).join(" ");

function taskLink(t) {
  const a = el("a", "title", `#${t.id} ${t.title}`);
  a.href = `#task-${t.id}`;
  return a;
}

function renderTasks(items) {
  $("task-count").textContent = `(${items.length})`;
  $("tasks").replaceChildren(...items.map((t) => {
    const li = el("li", taskClass(t));
    li.dataset.taskId = String(t.id);
    li.append(taskLink(t));
    const meta = [t.assignee ? `负责人 ${t.assignee}` : "未指派", t.due ? `截止 ${fmt(t.due)}` : "", STATUS[t.status] || t.status];
    const metaNode = el("div", "meta", meta.filter(Boolean).join(" · "));
    flags(t, metaNode);
    li.append(metaNode);
    return li;
  }));
}

// Risk changes slowly and takes a while to assess: fetched every 30 seconds in the background;
// the lists show it from the next refresh on, and never wait for it.
function refreshRisk() {
  if (Date.now() - state.riskAt < 30000) return state.riskLoad || Promise.resolve();
  state.riskAt = Date.now();
  state.riskLoad = api("/risk")
    .then((report) => { state.risk = new Map(report.tasks.map((t) => [t.task_id, t])); })
    .catch(() => { /* the lists still work without it */ });
  return state.riskLoad;
}

function renderMeetings(items) {
  $("meeting-count").textContent = `(${items.length})`;
  $("meetings").replaceChildren(...items.map((m) => {
    const li = el("li", m.status);
    li.dataset.meetingId = String(m.id);
    const a = el("a", "title", `#${m.id} ${m.title}`);
    a.href = `#meeting-${m.id}`;
    li.append(a, el("div", "meta", [fmt(m.start), m.location || ""].filter(Boolean).join(" · ")));
    return li;
  }));
}

const boardTasks = (board) => board.columns.flatMap((c) => c.tasks);

// The side lists show the selected group's project only (all when the group has none);
// meetings that are cancelled or long over are left out.
async function refreshChat() {
  const g = state.group;
  const project = g && g.project_id ? `&project_id=${g.project_id}` : "";
  const since = new Date(Date.now() - 2 * 3600e3).toISOString();
  const until = new Date(Date.now() + 60 * 86400e3).toISOString();
  const [messages, sent, board, meetings] = await Promise.all([
    g ? Promise.all(g.ids.map((id) => api(`/messages?chat_id=${id}&limit=100`))) : Promise.resolve([]),
    g ? Promise.all(g.ids.map((id) => api(`/outbox?chat_id=${id}&scheduled=true&limit=50`))) : Promise.resolve([]),
    api(`/board?${project.slice(1)}`),
    api(`/calendar?since=${encodeURIComponent(since)}&until=${encodeURIComponent(until)}`),
  ]);
  learnNow(board.now);
  renderMessages(messages.flatMap((p) => p.items), sent.flatMap((p) => p.items));
  refreshRisk();
  const tasks = boardTasks(board).sort((a, b) => b.id - a.id);
  $("task-scope").textContent = g && g.project_id ? `项目「${projectName(g.project_id)}」` : "全部项目";
  renderTasks(tasks);
  // A recurring meeting once, at its next occurrence.
  const next = meetings.items.filter((m, i, all) => all.findIndex((x) => x.id === m.id) === i);
  const mine = next.filter((m) => !g || !g.project_id || m.project_id === g.project_id || g.ids.includes(m.chat_id)
    || (m.project_id === null && m.chat_id === null)); // team-wide meetings belong to every group
  renderMeetings(mine);
}

async function sendText(text) {
  if (!text || !state.group || state.busy) return;
  state.busy = true;
  $("send").disabled = true;
  try {
    // The console speaks in the group's console chat (created on first use, merged by name).
    await post("/messages?wait=false", { channel: "console", chat: state.group.name, sender: state.me, text });
    await refresh();
  } catch (err) {
    $("status").textContent = `发送失败：${err.message}`;
  } finally {
    state.busy = false;
    $("send").disabled = false;
  }
}

async function send(event) {
  event.preventDefault();
  const input = $("text");
  const text = input.value.trim();
  if (!text) return;
  input.value = "";
  await sendText(text);
  input.focus();
}

// Team memory: ask the question, and list what the search found.
async function searchMemory(event) {
  event.preventDefault();
  const q = $("memory-q").value.trim();
  if (!q) return;
  const box = $("memory-answer");
  try {
    const [answer, found] = await Promise.all([
      post("/ask", { question: q, asker: state.me }),
      api(`/search?q=${encodeURIComponent(q)}&limit=8`),
    ]);
    box.hidden = false;
    box.textContent = answer.answer;
    $("memory-hits").replaceChildren(...found.hits.map((h) => {
      const li = el("li", "hit");
      li.append(el("div", "title", h.text));
      li.append(el("div", "meta", [h.sender, fmt(h.time), h.chat, h.kind].filter(Boolean).join(" · ")));
      return li;
    }));
  } catch (err) {
    box.hidden = false;
    box.textContent = `搜索失败：${err.message}`;
  }
}

// -- kanban board --------------------------------------------------------------------------
async function moveTask(id, status) {
  try {
    await post("/tools/update_task", { actor: state.me, chat_id: state.group ? state.group.target.id : null, args: { task: id, status } });
    toast(`已把 #${id} 移到「${STATUS[status]}」`, true);
  } catch (err) {
    toast(`没能移动 #${id}：${err.message}`);
  }
  await renderBoard();
}

async function renderBoard() {
  const project = $("board-project").value;
  const assignee = $("board-assignee").value;
  const params = new URLSearchParams();
  if (project) params.set("project_id", project);
  if (assignee) params.set("assignee", assignee);
  const board = await api(`/board?${params}`);
  learnNow(board.now);
  refreshRisk();
  const people = $("board-assignee");
  if (people.options.length <= 1) {
    people.replaceChildren(option("", "所有人"), ...[...state.members.values()].map((m) => option(m.display_name, m.display_name)));
    people.value = assignee;
  }
  $("board-summary").textContent = `共 ${boardTasks(board).length} 个任务${board.overdue ? `，逾期 ${board.overdue} 个` : ""}`;
  $("board").replaceChildren(...board.columns.map((col) => {
    const column = el("section", "column");
    column.dataset.status = col.status;
    column.append(el("h3", "", `${STATUS[col.status]} (${col.tasks.length})`));
    column.addEventListener("dragover", (e) => { e.preventDefault(); column.classList.add("drop"); });
    column.addEventListener("dragleave", () => column.classList.remove("drop"));
    column.addEventListener("drop", (e) => {
      e.preventDefault();
      column.classList.remove("drop");
      const id = Number(e.dataTransfer.getData("text/plain"));
      if (id) moveTask(id, col.status);
    });
    for (const t of col.tasks) {
      const card = el("div", `tcard ${taskClass(t)}`);
      card.dataset.taskId = String(t.id);
      card.draggable = true;
      card.addEventListener("dragstart", (e) => e.dataTransfer.setData("text/plain", String(t.id)));
      const a = el("a", "", `#${t.id} ${t.title}`);
      a.href = `#task-${t.id}`;
      const meta = el("div", "meta", [t.assignee || "未指派", t.due ? `截止 ${fmt(t.due)}` : ""].filter(Boolean).join(" · "));
      flags(t, meta);
      // Moving without dragging (phones, keyboards): pick the column.
      const move = el("select", "move");
      move.setAttribute("aria-label", `移动 #${t.id}`);
      move.append(option("", "移到…"), ...COLUMNS.filter((s) => s !== col.status).map((s) => option(s, STATUS[s])));
      move.addEventListener("change", () => { if (move.value) moveTask(t.id, move.value); });
      card.append(a, meta, move);
      column.append(card);
    }
    return column;
  }));
}

// -- calendar ------------------------------------------------------------------------------
function calRange() {
  const anchor = state.cal.anchor || state.today;
  if (state.cal.mode === "week") {
    const first = dayAdd(anchor, -weekday(anchor));
    return { first, days: 7, title: `${dayLabel(first)} – ${dayLabel(dayAdd(first, 6))}` };
  }
  const monthStart = `${anchor.slice(0, 8)}01`;
  const first = dayAdd(monthStart, -weekday(monthStart));
  return { first, days: 42, month: anchor.slice(0, 7), title: `${anchor.slice(0, 4)}年${Number(anchor.slice(5, 7))}月` };
}

async function renderCalendar() {
  if (!state.today) learnNow((await api("/board")).now);
  const range = calRange();
  const after = `${range.first}T00:00:00${state.offset}`;
  const before = `${dayAdd(range.first, range.days)}T00:00:00${state.offset}`;
  // Each occurrence of a recurring meeting, without cancelled meetings or skipped dates.
  const meetings = await api(`/calendar?since=${encodeURIComponent(after)}&until=${encodeURIComponent(before)}`);
  $("cal-title").textContent = range.title;
  $("cal-week").setAttribute("aria-pressed", String(state.cal.mode === "week"));
  $("cal-month").setAttribute("aria-pressed", String(state.cal.mode === "month"));
  const byDay = new Map();
  for (const m of meetings.items) {
    const day = ymd(m.start);
    byDay.set(day, [...(byDay.get(day) || []), m]);
  }
  const box = $("calendar");
  box.className = `calendar ${state.cal.mode}`;
  const cells = state.cal.mode === "month" ? [...WEEKDAYS].map((d) => el("div", "dow", `周${d}`)) : [];
  for (let i = 0; i < range.days; i++) {
    const day = dayAdd(range.first, i);
    const cell = el("div", "day");
    cell.dataset.day = day;
    if (range.month && day.slice(0, 7) !== range.month) cell.classList.add("other");
    if (day === state.today) cell.classList.add("today");
    const label = state.cal.mode === "month" ? String(Number(day.slice(8))) : `周${WEEKDAYS[weekday(day)]} ${dayLabel(day)}`;
    cell.append(el("div", "date", label));
    for (const m of byDay.get(day) || []) {
      const a = el("a", `mtg${state.cal.focus === m.id ? " focus" : ""}`, `${hm(m.start)} ${m.title}`);
      a.href = `#meeting-${m.id}`;
      a.dataset.meetingId = String(m.id);
      a.title = [m.location, m.attendees.join("、")].filter(Boolean).join(" · ");
      cell.append(a);
    }
    cells.push(cell);
  }
  box.replaceChildren(...cells);
}

function calMove(step) {
  const anchor = state.cal.anchor || state.today;
  if (state.cal.mode === "week") state.cal.anchor = dayAdd(anchor, 7 * step);
  else {
    const d = new Date(`${anchor.slice(0, 8)}01T00:00:00Z`);
    d.setUTCMonth(d.getUTCMonth() + step);
    state.cal.anchor = d.toISOString().slice(0, 10);
  }
  renderCalendar().catch(showError);
}

// -- charts --------------------------------------------------------------------------------
function chart(id) {
  const node = $(id);
  let c = state.charts.get(id);
  if (!c || c.getDom() !== node) {
    c = echarts.init(node, null, { renderer: "canvas", useUTC: true });
    state.charts.set(id, c);
  }
  return c;
}

const COLOR = { todo: "#9aa5b1", in_progress: "#3a7bd5", blocked: "#e6a23c", done: "#3fa66a" };

async function renderGantt() {
  const project = $("gantt-project").value;
  const data = await api(`/gantt${project ? `?project_id=${project}` : ""}`);
  learnNow(data.now);
  const rows = data.tasks.map((t) => `#${t.id} ${t.title}`);
  const msRow = rows.length;
  if (data.milestones.length) rows.push("◆ 里程碑");
  $("gantt-summary").textContent = `${data.tasks.length} 个任务 · ${data.milestones.length} 个里程碑${data.tasks.some((t) => t.overdue) ? ` · 逾期 ${data.tasks.filter((t) => t.overdue).length}` : ""}`;
  const c = chart("gantt-chart");
  const narrow = window.innerWidth < 720;
  c.setOption({
    animation: false,
    grid: { left: narrow ? 8 : 16, right: 16, top: 24, bottom: 56, containLabel: true },
    tooltip: {
      // ECharts tooltips are HTML: every text from the team is escaped.
      formatter: (p) => {
        if (p.data.task) {
          const t = p.data.task;
          return [`#${t.id} ${esc(t.title)}`, `${STATUS[t.status]} · ${esc(t.assignee || "未指派")}`, `${fmt(t.start)} → ${fmt(t.end)}`, t.overdue ? "已逾期" : ""].filter(Boolean).join("<br>");
        }
        const m = p.data.milestone;
        return `◆ 里程碑 ${esc(m.title)}<br>${fmt(m.due)}${m.done ? " · 已完成" : m.overdue ? " · 已逾期" : ""}`;
      },
    },
    xAxis: { type: "time", position: "top", min: (v) => v.min - 43200000, max: (v) => v.max + 43200000, axisLabel: { formatter: "{M}月{d}日" } },
    yAxis: { type: "category", data: rows, inverse: true, axisLabel: { width: narrow ? 90 : 200, overflow: "truncate" } },
    dataZoom: [{ type: "slider", xAxisIndex: 0, bottom: 8 }, { type: "inside", xAxisIndex: 0 }],
    series: [
      {
        type: "custom",
        name: "任务",
        encode: { x: [1, 2], y: 0 },
        renderItem: (params, a) => {
          const start = a.coord([a.value(1), a.value(0)]);
          const end = a.coord([a.value(2), a.value(0)]);
          const height = a.size([0, 1])[1] * 0.6;
          const shape = echarts.graphic.clipRectByRect(
            { x: start[0], y: start[1] - height / 2, width: Math.max(end[0] - start[0], 3), height },
            { x: params.coordSys.x, y: params.coordSys.y, width: params.coordSys.width, height: params.coordSys.height },
          );
          return shape && { type: "rect", shape, style: a.style() };
        },
        data: data.tasks.map((t, i) => ({
          value: [i, wall(t.start), wall(t.end)],
          task: t,
          itemStyle: { color: COLOR[t.status], borderColor: t.overdue ? "#d9534f" : undefined, borderWidth: t.overdue ? 2 : 0 },
        })),
        markLine: { symbol: "none", silent: true, label: { formatter: "现在" }, lineStyle: { color: "#d9534f", type: "dashed" }, data: [{ xAxis: wall(data.now) }] },
      },
      {
        type: "scatter",
        name: "里程碑",
        symbol: "diamond",
        symbolSize: 16,
        data: data.milestones.map((m) => ({ value: [wall(m.due), msRow], milestone: m, itemStyle: { color: m.done ? "#3fa66a" : m.overdue ? "#d9534f" : "#8e44ad" } })),
      },
    ],
  }, true);
  c.off("click");
  c.on("click", (p) => { if (p.data && p.data.task) location.hash = `#task-${p.data.task.id}`; });
  c.resize();
}

// -- projects and members ------------------------------------------------------------------
async function renderProjects() {
  const status = $("project-status").value;
  const projects = await api(`/projects?limit=200${status ? `&status=${status}` : ""}`);
  const words = $("project-q").value.trim();
  const shown = projects.items.filter((p) => !words || p.name.includes(words));
  if (!shown.some((p) => p.id === state.selectedProject)) state.selectedProject = shown.length ? shown[0].id : null;
  // Budgets only as the API returned them, and only to a PM or admin.
  const me = meRecord();
  const maySeeBudget = me && (me.role === "pm" || me.role === "admin");
  $("projects").replaceChildren(...shown.map((p) => {
    const li = el("li", p.id === state.selectedProject ? "selected" : "");
    li.dataset.projectId = String(p.id);
    li.append(el("div", "title", p.name));
    const meta = [p.owner ? `负责人 ${p.owner}` : "", p.deadline ? `截止 ${fmt(p.deadline)}` : "", `${p.members.length} 人`, { active: "进行中", paused: "已暂停", done: "已完成", archived: "已归档" }[p.status]];
    if (maySeeBudget && p.budget !== undefined && p.budget !== null) meta.push(`预算 ${p.budget} 元，已花费 ${p.spent || 0} 元`);
    li.append(el("div", "meta", meta.filter(Boolean).join(" · ")));
    li.addEventListener("click", () => { state.selectedProject = p.id; renderProjects().catch(showError); });
    return li;
  }));
  const c = chart("project-chart");
  if (state.selectedProject === null) { c.clear(); return; }
  const board = await api(`/board?project_id=${state.selectedProject}`);
  const name = shown.find((p) => p.id === state.selectedProject).name;
  c.setOption({
    animation: false,
    title: { text: `「${name}」任务状态`, subtext: board.overdue ? `逾期 ${board.overdue} 个` : "没有逾期", left: "center" },
    tooltip: { trigger: "item", formatter: "{b}：{c}（{d}%）" },
    legend: { bottom: 0 },
    series: [{ type: "pie", radius: ["35%", "62%"], top: 30, data: board.columns.map((col) => ({ name: STATUS[col.status], value: col.tasks.length, itemStyle: { color: COLOR[col.status] } })) }],
  }, true);
  c.off("click");
  c.on("click", () => { $("board-project").value = String(state.selectedProject); location.hash = "#board"; });
  c.resize();
}

async function renderMembers() {
  const role = $("member-role").value;
  const project = $("member-project").value;
  const [members, board] = await Promise.all([
    api(`/members?limit=200${role ? `&role=${role}` : ""}`),
    api(`/board${project ? `?project_id=${project}` : ""}`),
  ]);
  let people = members.items;
  if (project) {
    const p = state.projects.find((x) => String(x.id) === project);
    if (p) people = people.filter((m) => p.members.includes(m.display_name));
  }
  const tasks = boardTasks(board);
  const count = (m, test) => tasks.filter((t) => t.assignee_id === m.id && test(t)).length;
  const stats = people.map((m) => ({
    m, open: count(m, (t) => t.status !== "done" && !t.overdue), done: count(m, (t) => t.status === "done"), overdue: count(m, (t) => t.overdue),
  }));
  $("members").replaceChildren(...stats.map(({ m, open, done, overdue }) => {
    const li = el("li", overdue ? "overdue" : "");
    li.dataset.memberId = String(m.id);
    li.append(el("div", "title", `${m.display_name}${m.aliases.length ? `（${m.aliases.join("、")}）` : ""}`));
    li.append(el("div", "meta", `${ROLE[m.role]} · 进行中/待办 ${open} · 已完成 ${done}${overdue ? ` · 逾期 ${overdue}` : ""}`));
    li.addEventListener("click", () => { $("board-assignee").value = m.display_name; location.hash = "#board"; });
    return li;
  }));
  const c = chart("member-chart");
  c.setOption({
    animation: false,
    title: { text: "成员任务", left: "center" },
    tooltip: { trigger: "axis" },
    legend: { bottom: 0 },
    grid: { left: 8, right: 16, top: 40, bottom: 40, containLabel: true },
    xAxis: { type: "value", minInterval: 1 },
    yAxis: { type: "category", data: stats.map((s) => s.m.display_name), inverse: true },
    series: [
      { name: "进行中/待办", type: "bar", stack: "all", data: stats.map((s) => s.open), itemStyle: { color: COLOR.in_progress } },
      { name: "逾期", type: "bar", stack: "all", data: stats.map((s) => s.overdue), itemStyle: { color: "#d9534f" } },
      { name: "已完成", type: "bar", stack: "all", data: stats.map((s) => s.done), itemStyle: { color: COLOR.done } },
    ],
  }, true);
  c.resize();
}

// -- a record's details: a task and its history, a meeting --------------------------------
function field(label, value) {
  const p = el("p", "field");
  p.append(el("strong", "", `${label}：`), document.createTextNode(value || "—"));
  return p;
}

function eventText(e) {
  const name = e.actor_id ? (state.members.get(e.actor_id) || {}).display_name || `#${e.actor_id}` : "群秘";
  const show = (v) => (v === null || v === undefined ? "—" : STATUS[v] || PRIORITY[v] || (typeof v === "string" && /^\d{4}-\d{2}-\d{2}T/.test(v) ? fmt(v) : String(v)));
  let what = EVENT[e.kind] || e.kind;
  if (e.kind === "created") what = "创建了任务";
  else if (e.kind === "note") what = `进展：${e.note || e.new || ""}`;
  else if (e.old !== null || e.new !== null) what = `${what}：${show(e.old)} → ${show(e.new)}`;
  if (e.note && e.kind !== "note") what += `（${e.note}）`;
  return `${name} ${what}`;
}

async function openTask(id) {
  const t = await api(`/tasks/${id}`);
  $("detail-title").textContent = `任务 #${t.id} ${t.title}`;
  const body = [
    field("状态", STATUS[t.status]), field("负责人", t.assignee), field("截止", fmt(t.due)),
    field("优先级", PRIORITY[t.priority]), field("项目", projectName(t.project_id)), field("说明", t.description),
  ];
  const risk = state.risk.get(t.id);
  if (risk && t.status !== "done") body.push(field("延期风险", `${RISK[risk.level]} ${Math.round(risk.risk * 100)}% · ${risk.reasons.join("；")}`));
  body.push(el("h3", "", "历史"));
  const list = el("ol", "history");
  list.id = "history";
  for (const e of t.events) {
    const li = el("li", `event ${e.kind}`);
    li.append(el("div", "at", fmt(e.at)), el("div", "", eventText(e)));
    list.append(li);
  }
  body.push(list);
  $("detail-body").replaceChildren(...body);
  showDetail();
}

async function openMeeting(id) {
  const m = await api(`/meetings/${id}`);
  state.cal.anchor = ymd(m.start);
  state.cal.focus = m.id;
  $("detail-title").textContent = `会议 #${m.id} ${m.title}`;
  $("detail-body").replaceChildren(
    field("时间", `${fmt(m.start)}${m.end ? ` – ${hm(m.end)}` : ""}`), field("地点", m.location),
    field("参会", m.attendees.join("、")), field("议题", m.agenda.join("；")),
    field("状态", { scheduled: "已安排", cancelled: "已取消", done: "已结束" }[m.status]),
  );
  showView("calendar");
  showDetail();
}

function showDetail() {
  const d = $("detail");
  if (!d.open) d.showModal();
}

// -- views and the address ------------------------------------------------------------------
const RENDER = { chat: refreshChat, board: renderBoard, calendar: renderCalendar, gantt: renderGantt, projects: renderProjects, members: renderMembers };

function showView(view) {
  state.view = view;
  for (const v of VIEWS) $(`view-${v}`).hidden = v !== view;
  for (const a of $("tabs").querySelectorAll("a")) a.classList.toggle("active", a.dataset.view === view);
  refresh();
}

async function route() {
  const hash = decodeURIComponent(location.hash.slice(1));
  const record = /^(task|meeting|project|milestone)-(\d+)$/.exec(hash);
  try {
    if (!record) {
      if ($("detail").open) $("detail").close();
      showView(VIEWS.includes(hash) ? hash : "chat");
    } else if (record[1] === "task") {
      refreshRisk();
      await openTask(Number(record[2]));
    } else if (record[1] === "meeting") {
      await openMeeting(Number(record[2]));
    } else if (record[1] === "project") {
      state.selectedProject = Number(record[2]);
      showView("projects");
    } else {
      showView("gantt");
    }
  } catch (err) {
    toast(`打不开：${err.message}`);
  }
}

function showError(err) { $("status").textContent = `连接出错：${err.message}`; }

// One refresh at a time: a request for another while one runs makes it go round once more
// (on a slow server, overlapping polls would pile up and paint older answers over newer ones).
async function refresh() {
  if (state.refreshing) {
    state.refreshAgain = true;
    return state.refreshing;
  }
  state.refreshing = (async () => {
    do {
      state.refreshAgain = false;
      try {
        await RENDER[state.view]();
        $("status").textContent = "已连接";
      } catch (err) {
        showError(err);
      }
    } while (state.refreshAgain);
  })();
  try { await state.refreshing; } finally { state.refreshing = null; }
}

// A link from an answer (?chat=ID&message=ID) opens that chat.
function openLinked() {
  const params = new URLSearchParams(window.location.search);
  const chat = params.get("chat");
  const c = chat && state.chats.find((x) => String(x.id) === chat);
  if (c) {
    $("chat").value = c.name;
    selectChat();
  }
}

$("memory-form").addEventListener("submit", searchMemory);
$("me").addEventListener("change", () => { state.me = $("me").value; localStorage.setItem("qunmi.me", state.me); refresh(); });
$("chat").addEventListener("change", () => { selectChat(); refresh(); });
$("composer").addEventListener("submit", send);
$("detail").addEventListener("close", () => {
  if (/^#(task|meeting|project|milestone)-/.test(location.hash)) history.replaceState(null, "", `#${state.view}`);
});
for (const id of ["board-project", "board-assignee"]) $(id).addEventListener("change", () => renderBoard().catch(showError));
$("gantt-project").addEventListener("change", () => renderGantt().catch(showError));
$("project-status").addEventListener("change", () => renderProjects().catch(showError));
$("project-q").addEventListener("input", () => renderProjects().catch(showError));
for (const id of ["member-role", "member-project"]) $(id).addEventListener("change", () => renderMembers().catch(showError));
$("cal-prev").addEventListener("click", () => calMove(-1));
$("cal-next").addEventListener("click", () => calMove(1));
$("cal-today").addEventListener("click", () => { state.cal.anchor = state.today; renderCalendar().catch(showError); });
$("cal-week").addEventListener("click", () => { state.cal.mode = "week"; renderCalendar().catch(showError); });
$("cal-month").addEventListener("click", () => { state.cal.mode = "month"; renderCalendar().catch(showError); });
window.addEventListener("hashchange", route);
window.addEventListener("resize", () => { for (const c of state.charts.values()) c.resize(); });

$("sign-out").addEventListener("click", signOut);

loadMe().then(loadTeam).then(openLinked).then(route).catch((err) => { $("status").textContent = `加载失败：${err.message}`; });
// The chat refreshes every second; the other views every ten (not while a menu is open).
let ticks = 0;
setInterval(() => {
  ticks += 1;
  const busy = document.activeElement && document.activeElement.tagName === "SELECT" && state.view !== "chat";
  if (!busy && !state.refreshing && (state.view === "chat" || ticks % 10 === 0)) refresh();
}, 1000);
