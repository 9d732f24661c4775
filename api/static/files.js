// 群秘控制台 · 文件: a project's document folders (GET /files), with versions, download,
// upload (POST /files) and move (PATCH /files/{id}). Loaded after app.js, whose helpers
// (api, el, option, toast, fmt, state, $) it uses; it registers itself as the "files" view.
"use strict";

// The folders as the server names them (GET /files says); these until it has answered.
const files = { open: new Set(), project: null, folders: ["需求文档", "设计稿", "测试报告", "会议纪要", "合同", "其他"] };

// Who the request is made as: the signed-in person (the server knows), or — in local mode —
// the person picked in the header, so that the folders show what that person may see.
function filesActor() {
  return state.auth && state.auth.kind === "local" && state.me ? state.me : null;
}
function withActor(path) {
  const actor = filesActor();
  if (!actor) return path;
  return `${path}${path.includes("?") ? "&" : "?"}actor=${encodeURIComponent(actor)}`;
}

function fileSize(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

function memberName(id) {
  const m = id ? state.members.get(id) : null;
  return m ? m.display_name : "";
}

function fillFileProjects() {
  const select = $("files-project");
  select.replaceChildren(option("", "全部项目"), ...state.projects.map((p) => option(String(p.id), p.name)));
  // First time: the group's project; then whatever was picked ("" is 全部项目).
  if (files.project === null) files.project = state.group && state.group.project_id ? String(state.group.project_id) : "";
  if (files.project && !state.projects.some((p) => String(p.id) === files.project)) files.project = "";
  select.value = files.project;
  const folder = $("files-folder");
  if (folder.options.length !== files.folders.length + 1) {
    const picked = folder.value;
    folder.replaceChildren(option("", "自动归类"), ...files.folders.map((f) => option(f, f)));
    folder.value = picked;
  }
}

function downloadLink(d, label) {
  const a = el("a", "download", label);
  a.href = withActor(d.download);
  a.setAttribute("download", d.name);
  return a;
}

async function moveFile(d, folder) {
  try {
    await api(`/files/${d.id}`, {
      method: "PATCH",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ folder, actor: filesActor() }),
    });
    toast(`已把「${d.name}」移到「${folder}」`, true);
  } catch (err) {
    toast(`没能移动「${d.name}」：${err.message}`);
  }
  await renderFiles();
}

async function toggleVersions(d, box) {
  if (files.open.has(d.id)) {
    files.open.delete(d.id);
    box.replaceChildren();
    return;
  }
  files.open.add(d.id);
  await showVersions(d, box);
}

async function showVersions(d, box) {
  try {
    const found = await api(withActor(`/files/${d.id}/versions`));
    const list = el("ol", "versions");
    for (const v of found.items) {
      const li = el("li", v.is_latest ? "latest" : "");
      li.dataset.version = String(v.version);
      li.append(`第${v.version}版${v.is_latest ? "（最新版）" : ""} · ${v.name} · ${fmt(v.created_at)}${memberName(v.uploaded_by_id) ? ` · ${memberName(v.uploaded_by_id)}` : ""} `);
      li.append(downloadLink(v, "下载"));
      list.append(li);
    }
    box.replaceChildren(list);
  } catch (err) {
    box.replaceChildren(el("div", "meta", `打不开历史版本：${err.message}`));
  }
}

function fileItem(d) {
  const li = el("li", "file");
  li.dataset.fileId = String(d.id);
  const head = el("div", "title");
  head.append(el("span", "name", d.name), " ", el("span", `badge${d.is_latest ? " latest" : ""}`, `第${d.version}版${d.is_latest ? " · 最新" : ""}`));
  li.append(head);
  const meta = [fileSize(d.size), fmt(d.created_at), memberName(d.uploaded_by_id), d.has_text ? "" : "无文字内容"];
  if (!files.project) meta.unshift(projectName(d.project_id) || "未归属项目");
  li.append(el("div", "meta", meta.filter(Boolean).join(" · ")));
  const bar = el("div", "actions");
  bar.append(downloadLink(d, "下载"));
  const history = el("button", "versions-toggle", "历史版本");
  history.type = "button";
  const box = el("div", "versions-box");
  history.addEventListener("click", () => toggleVersions(d, box));
  const move = el("select", "move");
  move.setAttribute("aria-label", `移动「${d.name}」到文件夹`);
  move.append(option("", "移到…"), ...files.folders.filter((f) => f !== d.folder).map((f) => option(f, f)));
  move.addEventListener("change", () => { if (move.value) moveFile(d, move.value); });
  bar.append(history, move);
  li.append(bar, box);
  if (files.open.has(d.id)) showVersions(d, box);
  return li;
}

async function renderFiles() {
  fillFileProjects();
  const project = files.project;
  const name = project ? projectName(Number(project)) : "";
  const note = $("files-note");
  let found;
  try {
    found = await api(withActor(`/files${name ? `?project=${encodeURIComponent(name)}` : ""}`));
  } catch (err) {
    // No right to this project's files: say why, show no folders.
    note.textContent = `看不了这些文件：${err.message}`;
    note.hidden = false;
    $("folders").replaceChildren();
    return;
  }
  note.hidden = true;
  if (Array.isArray(found.folders) && found.folders.length) files.folders = found.folders;
  const folders = files.folders;
  $("files-summary").textContent = `共 ${found.items.length} 个文件${name ? `（项目「${name}」）` : ""}`;
  $("folders").replaceChildren(...folders.map((folder) => {
    const items = found.items.filter((d) => d.folder === folder);
    const section = el("section", "folder");
    section.dataset.folder = folder;
    section.append(el("h3", "", `${folder} (${items.length})`));
    const list = el("ul", "list");
    list.replaceChildren(...items.map(fileItem));
    if (!items.length) list.append(el("li", "empty", "暂无文件"));
    section.append(list);
    return section;
  }));
}

async function uploadFile(event) {
  event.preventDefault();
  const input = $("file-input");
  if (!input.files.length) { toast("先选一个文件"); return; }
  const form = new FormData();
  form.append("file", input.files[0]);
  const project = $("files-project").value;
  if (project) form.append("project", projectName(Number(project)));
  const folder = $("files-folder").value;
  if (folder) form.append("folder", folder);
  const actor = filesActor();
  if (actor) form.append("actor", actor);
  const button = $("file-upload");
  button.disabled = true;
  try {
    const d = await api("/files", { method: "POST", body: form });
    toast(d.new ? `已存入「${d.folder}」：${d.name} 第${d.version}版` : `「${d.name}」和最新版相同，没有新增版本`, true);
    input.value = "";
  } catch (err) {
    toast(`上传失败：${err.message}`);
  } finally {
    button.disabled = false;
  }
  await renderFiles();
}

VIEWS.push("files");
RENDER.files = renderFiles;
$("files-project").addEventListener("change", () => { files.project = $("files-project").value; renderFiles().catch(showError); });
$("file-form").addEventListener("submit", uploadFile);
