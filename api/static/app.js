// 群秘控制台: plain fetch + polling over the REST API.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { auth: null, signing: null, members: new Map(), chats: [], me: null, chat: null, busy: false, risk: new Map(), riskAt: 0 };
const RISK = { high: "高", medium: "中", low: "低" };
const STATUS = { todo: "待办", in_progress: "进行中", blocked: "受阻", done: "已完成", cancelled: "已取消" };

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
  const response = await fetch(path, { ...(options || {}), credentials: "same-origin" });
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

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// Times come from the server in the team's timezone (ISO 8601 with its offset); show that wall
// clock as it is, whatever timezone the browser runs in.
function fmt(iso) {
  if (!iso) return "";
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(iso);
  if (!m) return iso;
  return `${Number(m[2])}月${Number(m[3])}日 ${m[4]}:${m[5]}`;
}

async function loadTeam() {
  const members = await api("/members?limit=200");
  state.members = new Map(members.items.map((m) => [m.id, m]));
  const me = $("me");
  me.replaceChildren(...members.items.map((m) => {
    const opt = el("option", "", m.aliases.length ? `${m.display_name}（${m.aliases.join("、")}）` : m.display_name);
    opt.value = m.display_name;
    return opt;
  }));
  const signedIn = state.auth && state.auth.member_id !== null && state.auth.kind !== "local";
  const saved = localStorage.getItem("qunmi.me");
  if (signedIn) me.value = state.auth.display_name;
  else if (saved && members.items.some((m) => m.display_name === saved)) me.value = saved;
  me.disabled = Boolean(signedIn);  // signed in: you are who you signed in as
  state.me = me.value;

  const chats = await api("/chats?limit=200");
  state.chats = chats.items;
  const chat = $("chat");
  chat.replaceChildren(...chats.items.map((c) => {
    const opt = el("option", "", c.name);
    opt.value = String(c.id);
    return opt;
  }));
  const console = chats.items.find((c) => c.channel === "console");
  if (console) chat.value = String(console.id);
  selectChat();
}

function selectChat() {
  const id = Number($("chat").value);
  state.chat = state.chats.find((c) => c.id === id) || null;
  $("chat-title").textContent = state.chat ? state.chat.name : "群聊";
}

// What the scheduler sent to this chat (reminders, alerts, summaries), from the outbox.
function outboxNode(o) {
  const li = el("li", "msg outbox");
  li.dataset.outboxId = String(o.id);
  const who = (o.mention_all ? ["@所有人"] : []).concat(o.mentions.map((p) => `@${p.name}`));
  li.append(el("div", "who", `群秘 · ${fmt(o.sent_at || o.created_at)}${o.state === "sent" ? "" : " · 待发送"}`));
  const c = el("div", `card ${o.kind}`, who.length ? `${o.text}\n${who.join(" ")}` : o.text);
  c.setAttribute("data-kind", o.kind);
  li.append(c);
  return li;
}

function renderMessages(items, sent) {
  const list = $("messages");
  const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 60;
  const nodes = [];
  const byTime = (a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0);
  const timeline = items.map((m) => ({ at: m.received_at, m }))
    .concat((sent || []).map((o) => ({ at: o.sent_at || o.created_at, o })))
    .sort(byTime);
  for (const entry of timeline) {
    if (entry.o) { nodes.push(outboxNode(entry.o)); continue; }
    const m = entry.m;
    const sender = state.members.get(m.sender_id);
    const name = sender ? sender.display_name : "?";
    const li = el("li", `msg${name === state.me ? " mine" : ""}`);
    li.dataset.messageId = String(m.id);
    li.append(el("div", "who", `${name} · ${fmt(m.received_at)}`), el("div", "bubble", m.text || `[${m.kind}]`));
    const cards = (m.result && m.result.cards) || [];
    for (const card of cards) {
      const c = el("div", `card ${card.kind || ""}`, card.text);
      c.setAttribute("data-kind", card.kind || "");
      li.append(c);
    }
    if (m.state === "received" || m.state === "processing") li.append(el("div", "pending", "群秘处理中…"));
    if (m.state === "failed" || m.state === "dead") li.append(el("div", "card error", `处理失败：${m.error || ""}`));
    nodes.push(li);
  }
  list.replaceChildren(...nodes);
  if (nearBottom) list.scrollTop = list.scrollHeight;
}

function renderTasks(items) {
  $("task-count").textContent = `(${items.length})`;
  $("tasks").replaceChildren(...items.map((t) => {
    const li = el("li", t.status);
    li.dataset.taskId = String(t.id);
    li.append(el("div", "title", `#${t.id} ${t.title}`));
    const meta = [t.assignee ? `负责人 ${t.assignee}` : "未指派", t.due ? `截止 ${fmt(t.due)}` : "", STATUS[t.status] || t.status];
    const metaNode = el("div", "meta", meta.filter(Boolean).join(" · "));
    const risk = state.risk.get(t.id);
    if (risk && t.status !== "done" && t.status !== "cancelled") {
      // Delay risk from GET /risk: a small badge, the reasons and suggestions on hover.
      const badge = el("span", `risk ${risk.level}`, `延期风险${RISK[risk.level]} ${Math.round(risk.risk * 100)}%`);
      badge.title = [...risk.reasons, ...risk.suggestions.map((s) => `建议：${s.text}（回复“${s.command}”）`)].join("\n");
      metaNode.append(" ", badge);
    }
    li.append(metaNode);
    return li;
  }));
}

// Risk changes slowly: fetched every 30 seconds, not on every refresh.
async function refreshRisk() {
  if (Date.now() - state.riskAt < 30000) return;
  state.riskAt = Date.now();
  try {
    const report = await api("/risk");
    state.risk = new Map(report.tasks.map((t) => [t.task_id, t]));
  } catch (err) { /* the task list still works without it */ }
}

function renderMeetings(items) {
  $("meeting-count").textContent = `(${items.length})`;
  $("meetings").replaceChildren(...items.map((m) => {
    const li = el("li", m.status);
    li.dataset.meetingId = String(m.id);
    li.append(el("div", "title", `#${m.id} ${m.title}`));
    const meta = [fmt(m.start), m.location || "", m.status === "cancelled" ? "已取消" : ""];
    li.append(el("div", "meta", meta.filter(Boolean).join(" · ")));
    return li;
  }));
}

async function refresh() {
  try {
    const [messages, sent, tasks, meetings] = await Promise.all([
      state.chat ? api(`/messages?chat_id=${state.chat.id}&limit=100`) : Promise.resolve({ items: [] }),
      state.chat ? api(`/outbox?chat_id=${state.chat.id}&scheduled=true&limit=50`) : Promise.resolve({ items: [] }),
      api("/tasks?limit=200&order=-id"),
      api("/meetings?limit=200"),
    ]);
    renderMessages(messages.items, sent.items);
    await refreshRisk();
    renderTasks(tasks.items);
    renderMeetings(meetings.items);
    $("status").textContent = "已连接";
  } catch (err) {
    $("status").textContent = `连接出错：${err.message}`;
  }
}

async function send(event) {
  event.preventDefault();
  const input = $("text");
  const text = input.value.trim();
  if (!text || !state.chat || state.busy) return;
  state.busy = true;
  $("send").disabled = true;
  try {
    await api("/messages?wait=false", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ channel: "console", chat: state.chat.external_id || String(state.chat.id), sender: state.me, text }),
    });
    input.value = "";
    await refresh();
  } catch (err) {
    $("status").textContent = `发送失败：${err.message}`;
  } finally {
    state.busy = false;
    $("send").disabled = false;
    input.focus();
  }
}

// Team memory: ask the question, and list what the search found.
async function searchMemory(event) {
  event.preventDefault();
  const q = $("memory-q").value.trim();
  if (!q) return;
  const box = $("memory-answer");
  try {
    const [answer, found] = await Promise.all([
      api("/ask", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ question: q, asker: state.me }) }),
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

// A link from an answer (?chat=ID&message=ID) opens that chat.
function openLinked() {
  const params = new URLSearchParams(window.location.search);
  const chat = params.get("chat");
  if (chat && state.chats.some((c) => String(c.id) === chat)) {
    $("chat").value = chat;
    selectChat();
  }
}

$("memory-form").addEventListener("submit", searchMemory);
$("me").addEventListener("change", () => { state.me = $("me").value; localStorage.setItem("qunmi.me", state.me); refresh(); });
$("chat").addEventListener("change", () => { selectChat(); refresh(); });
$("composer").addEventListener("submit", send);

$("sign-out").addEventListener("click", signOut);

loadMe().then(loadTeam).then(openLinked).then(refresh).catch((err) => { $("status").textContent = `加载失败：${err.message}`; });
setInterval(refresh, 1000);
