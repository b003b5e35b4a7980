// The %%agent transcript view: an anywidget front-end module (AFM), no dependencies.
//
// Renders `model.get("state")` (see agent/frontends/transcript.py for its shape). Blocks are
// keyed by `id`; only blocks whose `rev` changed are redrawn, and open <details> and output
// scroll positions survive redraws. The view sends two custom messages back to the kernel:
// {kind: "decision", call_id, decision} and {kind: "stop"}.
//
// Everything shown comes from the state: text is escaped before any markup is added, and
// links are only emitted for http(s) URLs with rel="noopener noreferrer".

const ACTIVE = new Set(["running", "waiting_for_approval"]);
const STATE_LABELS = {
  running: "Running",
  waiting_for_approval: "Waiting for approval",
  done: "Done",
  aborted: "Aborted",
  error: "Failed",
};
const BUTTON_LABELS = {
  approved: "Approve",
  approved_for_session: "Approve for session",
  denied: "Deny",
  abort: "Abort",
};
const DECISION_LABELS = {
  approved: "Approved",
  approved_for_session: "Approved for this session",
  denied: "Denied",
  abort: "Aborted the turn",
};
const COMMAND_STATUS = {
  waiting: "waiting for approval",
  running: "running",
  ok: "succeeded",
  failed: "failed",
  declined: "declined",
  aborted: "aborted",
};
const ICONS = { ok: "\u2713", failed: "\u2717", declined: "\u2298", aborted: "\u2298", waiting: "?", applied: "\u2713" };
const uiStates = new WeakMap(); // model -> UI-only state that survives view re-creation

// --- escaping and small formatters ---------------------------------------------------

export function escapeHtml(text) {
  const map = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
  return String(text ?? "").replace(/[&<>"']/g, (c) => map[c]);
}

export function shellJoin(argv) {
  return (argv || [])
    .map((a) => (a === "" ? "''" : /^[\w@%+=:,./-]+$/.test(a) ? a : "'" + a.replace(/'/g, "'\"'\"'") + "'"))
    .join(" ");
}

function fmtMs(ms) {
  if (ms == null) return "";
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  return `${Math.floor(s / 60)}m ${String(Math.floor(s % 60)).padStart(2, "0")}s`;
}

function fmtBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

// --- syntax highlighting -------------------------------------------------------------

const PY_KEYWORDS = new Set(
  ("False None True and as assert async await break class continue def del elif else except finally for " +
    "from global if import in is lambda nonlocal not or pass raise return try while with yield match case").split(" "),
);
const PY_BUILTINS = new Set("self cls print len range dict list set tuple str int float bool open super isinstance".split(" "));
const SH_KEYWORDS = new Set(
  "if then else elif fi for while until do done case esac in function return export local set unset source".split(" "),
);
const PY_RE =
  /("""[\s\S]*?(?:"""|$)|'''[\s\S]*?(?:'''|$)|[rbfuRBFU]{0,2}"(?:\\.|[^"\\\n])*"?|[rbfuRBFU]{0,2}'(?:\\.|[^'\\\n])*'?)|(#[^\n]*)|(@[A-Za-z_][\w.]*)|\b(\d[\d_]*(?:\.\d+)?(?:[eE][+-]?\d+)?j?)\b|([A-Za-z_]\w*)/g;
const SH_RE =
  /("(?:\\.|[^"\\])*"?|'[^']*'?)|(^|\s)(#[^\n]*)|(\$\{[^}\n]*\}|\$[A-Za-z_]\w*|\$[0-9@#?*!$-])|(\s--?[\w-]+)|([A-Za-z_][\w.-]*)/gm;

function span(cls, text) {
  return `<span class="jp-agent-tok-${cls}">${escapeHtml(text)}</span>`;
}

function tokenize(re, code, render) {
  let out = "";
  let last = 0;
  re.lastIndex = 0;
  let m;
  while ((m = re.exec(code)) !== null) {
    if (m[0] === "") {
      re.lastIndex++;
      continue;
    }
    out += escapeHtml(code.slice(last, m.index)) + render(m);
    last = re.lastIndex;
  }
  return out + escapeHtml(code.slice(last));
}

function highlightPython(code) {
  return tokenize(PY_RE, code, (m) => {
    if (m[1]) return span("string", m[0]);
    if (m[2]) return span("comment", m[0]);
    if (m[3]) return span("meta", m[0]);
    if (m[4]) return span("number", m[0]);
    if (PY_KEYWORDS.has(m[0])) return span("keyword", m[0]);
    if (PY_BUILTINS.has(m[0])) return span("builtin", m[0]);
    return escapeHtml(m[0]);
  });
}

function highlightBash(code) {
  return tokenize(SH_RE, code, (m) => {
    if (m[1]) return span("string", m[0]);
    if (m[3]) return escapeHtml(m[2]) + span("comment", m[3]);
    if (m[4]) return span("variable", m[0]);
    if (m[5]) return span("option", m[0]);
    if (SH_KEYWORDS.has(m[0])) return span("keyword", m[0]);
    return escapeHtml(m[0]);
  });
}

function highlightConsole(code) {
  return code
    .split("\n")
    .map((line) => {
      const m = /^(\s*[$#>] )(.*)$/.exec(line);
      return m ? span("prompt", m[1]) + highlightBash(m[2]) : span("output", line);
    })
    .join("\n");
}

function highlightDiff(code) {
  return code
    .split("\n")
    .map((line) => {
      if (/^(\+\+\+|---|diff |index |new file|deleted file|rename |similarity )/.test(line)) return span("meta", line);
      if (line.startsWith("@@")) return span("hunk", line);
      if (line.startsWith("+")) return span("add", line);
      if (line.startsWith("-")) return span("del", line);
      return escapeHtml(line);
    })
    .join("\n");
}

const LANGS = {
  python: highlightPython, py: highlightPython, python3: highlightPython, ipython: highlightPython,
  bash: highlightBash, sh: highlightBash, shell: highlightBash, zsh: highlightBash,
  console: highlightConsole, "shell-session": highlightConsole,
  diff: highlightDiff, patch: highlightDiff, udiff: highlightDiff,
};

export function highlight(code, lang) {
  const fn = LANGS[String(lang || "").toLowerCase()];
  return fn ? fn(String(code ?? "")) : escapeHtml(code);
}

// --- a small, safe Markdown renderer -----------------------------------------------------

const FENCE_RE = /^\s{0,3}(`{3,}|~{3,})\s*([\w+#.-]*)[^`]*$/;
const HEADING_RE = /^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/;
const RULE_RE = /^\s{0,3}([-*_])(\s*\1){2,}\s*$/;
const QUOTE_RE = /^\s{0,3}>\s?(.*)$/;
const LIST_RE = /^(\s*)([-*+]|\d{1,9}[.)])\s+(.*)$/;
const BLANK_RE = /^\s*$/;

function startsBlock(line) {
  return FENCE_RE.test(line) || HEADING_RE.test(line) || RULE_RE.test(line) || QUOTE_RE.test(line) || LIST_RE.test(line);
}

function indentOf(line) {
  return /^\s*/.exec(line)[0].length;
}

function codeBlock(body, lang) {
  return `<pre class="jp-agent-code"><code class="language-${escapeHtml(lang || "text")}">${highlight(body, lang)}</code></pre>`;
}

export function renderMarkdown(src) {
  const lines = String(src ?? "").replace(/\r\n?/g, "\n").replace(/\u0000/g, "").split("\n");
  const out = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    let m;
    if ((m = FENCE_RE.exec(line))) {
      const body = [];
      const close = new RegExp("^\\s{0,3}" + m[1][0] + "{" + m[1].length + ",}\\s*$");
      for (i++; i < lines.length && !close.test(lines[i]); i++) body.push(lines[i]);
      i++;
      out.push(codeBlock(body.join("\n"), m[2].toLowerCase()));
    } else if (BLANK_RE.test(line)) {
      i++;
    } else if ((m = HEADING_RE.exec(line))) {
      out.push(`<h${m[1].length}>${inline(m[2])}</h${m[1].length}>`);
      i++;
    } else if (RULE_RE.test(line)) {
      out.push("<hr>");
      i++;
    } else if (QUOTE_RE.test(line)) {
      const inner = [];
      for (; i < lines.length && (m = QUOTE_RE.exec(lines[i])); i++) inner.push(m[1]);
      out.push(`<blockquote>${renderMarkdown(inner.join("\n"))}</blockquote>`);
    } else if (LIST_RE.test(line)) {
      i = parseList(lines, i, out);
    } else {
      const para = [lines[i++]];
      while (i < lines.length && !BLANK_RE.test(lines[i]) && !startsBlock(lines[i])) para.push(lines[i++]);
      out.push(`<p>${inline(para.join("\n"))}</p>`);
    }
  }
  return out.join("");
}

function parseList(lines, i, out) {
  const first = LIST_RE.exec(lines[i]);
  const base = first[1].length;
  const ordered = /\d/.test(first[2]);
  const items = [];
  while (i < lines.length) {
    const line = lines[i];
    const m = LIST_RE.exec(line);
    if (m && m[1].length === base && /\d/.test(m[2]) === ordered) {
      items.push({ lines: [m[3]], offset: m[1].length + m[2].length + 1 });
    } else if (BLANK_RE.test(line)) {
      const next = lines[i + 1];
      if (next === undefined || BLANK_RE.test(next) || indentOf(next) < base || (indentOf(next) === base && !LIST_RE.test(next))) break;
      items[items.length - 1].lines.push("");
    } else if (indentOf(line) > base) {
      const item = items[items.length - 1];
      item.lines.push(line.slice(Math.min(indentOf(line), item.offset)));
    } else {
      break;
    }
    i++;
  }
  const tag = ordered ? "ol" : "ul";
  const start = ordered && parseInt(first[2], 10) !== 1 ? ` start="${parseInt(first[2], 10)}"` : "";
  out.push(`<${tag}${start}>${items.map(renderItem).join("")}</${tag}>`);
  return i;
}

function renderItem(item) {
  let head = item.lines[0];
  let box = "";
  const task = /^\[( |x|X)\]\s+(.*)$/.exec(head);
  if (task) {
    box = `<input type="checkbox" disabled${task[1] === " " ? "" : " checked"}> `;
    head = task[2];
  }
  const rest = item.lines.slice(1).join("\n");
  return `<li${task ? ' class="jp-agent-task"' : ""}>${box}${inline(head)}${BLANK_RE.test(rest) ? "" : renderMarkdown(rest)}</li>`;
}

function inline(text) {
  const held = [];
  const hold = (html) => `\u0000${held.push(html) - 1}\u0000`;
  let s = String(text).replace(/(`+)([\s\S]*?[^`])\1(?!`)/g, (_, _t, code) => hold(`<code>${escapeHtml(code)}</code>`));
  s = escapeHtml(s);
  s = s.replace(/\[([^\]\n]+)\]\(([^)\s]+)\)/g, (all, label, url) =>
    /^https?:\/\//i.test(url)
      ? hold(`<a href="${url}" target="_blank" rel="noopener noreferrer">${emphasis(label)}</a>`)
      : all,
  );
  s = s.replace(/&lt;(https?:\/\/[^\s&]+)&gt;/g, (_, url) => hold(`<a href="${url}" target="_blank" rel="noopener noreferrer">${url}</a>`));
  s = emphasis(s).replace(/ {2,}\n/g, "<br>");
  return s.replace(/\u0000(\d+)\u0000/g, (_, n) => held[Number(n)]);
}

function emphasis(s) {
  return s
    .replace(/\*\*(?=\S)([\s\S]*?\S)\*\*/g, "<strong>$1</strong>")
    .replace(/(^|[^\w])__(?=\S)([\s\S]*?\S)__(?!\w)/g, "$1<strong>$2</strong>")
    .replace(/(^|[^*\w])\*(?=[^\s*])([^*\n]*?[^\s*])\*(?![*\w])/g, "$1<em>$2</em>")
    .replace(/(^|[^\w])_(?=[^\s_])([^_\n]*?[^\s_])_(?!\w)/g, "$1<em>$2</em>")
    .replace(/~~(?=\S)([^~\n]*?\S)~~/g, "<del>$1</del>");
}

// --- DOM helpers --------------------------------------------------------------------------

function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value == null || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "html") el.innerHTML = value; // only ever output of escapeHtml-based renderers
    else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child == null || child === false || child === "") continue;
    el.append(typeof child === "object" ? child : String(child));
  }
  return el;
}

function details(ctx, key, defaultOpen, summary, ...content) {
  const el = h("details", { class: "jp-agent-details" }, h("summary", {}, summary), ...content);
  el.open = ctx.ui.open.has(key) ? ctx.ui.open.get(key) : defaultOpen;
  el.addEventListener("toggle", () => ctx.ui.open.set(key, el.open));
  return el;
}

function statusIcon(status) {
  const running = status === "running" || status === "applying";
  return h("span", { class: `jp-agent-icon jp-agent-icon-${status}`, title: status }, running ? h("span", { class: "jp-agent-spinner" }) : ICONS[status] || "");
}

function codePre(code, lang, scrollKey) {
  return h("pre", { class: `jp-agent-code jp-agent-lang-${lang}`, "data-scroll-key": scrollKey, html: highlight(code, lang) });
}

function meta(...parts) {
  const shown = parts.filter((p) => p != null && p !== "");
  return shown.length ? h("div", { class: "jp-agent-meta" }, shown.join(" \u00B7 ")) : null;
}

// --- block renderers ------------------------------------------------------------------------

function renderUser(b) {
  return h("div", { class: "jp-agent-block jp-agent-user" }, h("div", { class: "jp-agent-label" }, "You"),
    h("div", { class: "jp-agent-user-text" }, b.text), b.images ? meta(`+${b.images} image${b.images === 1 ? "" : "s"}`) : null);
}

function renderAgent(b) {
  return h("div", { class: `jp-agent-block jp-agent-agent${b.streaming ? " jp-agent-streaming" : ""}` },
    h("div", { class: "jp-agent-markdown", html: renderMarkdown(b.text) }));
}

function renderReasoning(b, ctx) {
  const label = (b.raw ? "Raw reasoning" : "Thinking") + (b.streaming ? "\u2026" : "");
  return h("div", { class: "jp-agent-block jp-agent-reasoning" },
    details(ctx, b.id, false, label, h("div", { class: "jp-agent-markdown", html: renderMarkdown(b.text) })));
}

function parsedSummary(parsed) {
  return (parsed || [])
    .map((p) => {
      if (p.type === "read") return `read ${p.name || p.path || ""}`;
      if (p.type === "list_files") return `list ${p.path || "."}`;
      if (p.type === "search") return `search ${p.query ? JSON.stringify(p.query) : ""}${p.path ? " in " + p.path : ""}`;
      return null;
    })
    .filter(Boolean)
    .join(", ");
}

function renderCommand(b) {
  const head = h("div", { class: "jp-agent-head" }, statusIcon(b.status),
    h("code", { class: "jp-agent-argv", html: highlight("$ " + shellJoin(b.argv), "console") }));
  const exit = b.exit_code != null ? `exit ${b.exit_code}` : null;
  const info = meta(COMMAND_STATUS[b.status] || b.status, b.cwd ? `in ${b.cwd}` : null, parsedSummary(b.parsed_cmd), exit, fmtMs(b.duration_ms));
  const cut = b.truncated_bytes ? h("div", { class: "jp-agent-note" }, `\u2026 ${fmtBytes(b.truncated_bytes)} of earlier output not shown`) : null;
  const out = b.output ? h("pre", { class: "jp-agent-output", "data-scroll-key": `${b.id}:out` }, b.output) : null;
  return h("div", { class: `jp-agent-block jp-agent-command jp-agent-command-${b.status}` }, head, info, cut, out);
}

function renderTool(b) {
  const head = h("div", { class: "jp-agent-head" }, statusIcon(b.status), h("span", { class: "jp-agent-label" }, "Tool"), h("code", {}, b.name));
  const args = b.arguments ? h("pre", { class: "jp-agent-output jp-agent-args" }, b.arguments) : null;
  const out = b.output ? h("pre", { class: "jp-agent-output", "data-scroll-key": `${b.id}:out` }, b.output) : null;
  return h("div", { class: `jp-agent-block jp-agent-tool jp-agent-tool-${b.status}` }, head, args, meta(b.status, fmtMs(b.duration_ms)), out);
}

function renderFile(entry, ctx, key, defaultOpen) {
  const target = entry.move_path ? ` \u2192 ${entry.move_path}` : "";
  const summary = h("span", {}, h("span", { class: `jp-agent-badge jp-agent-badge-${entry.change}` }, entry.change), ` ${entry.path}${target}`);
  const cut = entry.omitted_lines ? h("div", { class: "jp-agent-note" }, `\u2026 ${entry.omitted_lines} more lines not shown`) : null;
  return details(ctx, key, defaultOpen, summary, codePre(entry.diff, "diff", `${key}:diff`), cut);
}

function renderPatch(b, ctx) {
  const titles = { applying: "Applying patch", applied: "Patch applied", failed: "Patch failed", aborted: "Patch aborted" };
  const head = h("div", { class: "jp-agent-head" }, statusIcon(b.status), h("span", { class: "jp-agent-label" }, titles[b.status] || "Patch"),
    b.auto_approved ? h("span", { class: "jp-agent-meta" }, " (auto-approved)") : null);
  const files = (b.files || []).map((f, n) => renderFile(f, ctx, `${b.id}:f${n}`, b.files.length <= 3));
  const err = b.status === "failed" && b.stderr ? h("pre", { class: "jp-agent-output jp-agent-error-text" }, b.stderr) : null;
  return h("div", { class: `jp-agent-block jp-agent-patch jp-agent-patch-${b.status}` }, head, err, files);
}

function renderPlan(b) {
  const marks = { completed: "\u2611", in_progress: "\u25B6", pending: "\u2610" };
  const items = (b.items || []).map((it) => h("li", { class: `jp-agent-plan-${it.status}` }, h("span", { class: "jp-agent-plan-mark" }, marks[it.status] || ""), " ", it.step));
  return h("div", { class: "jp-agent-block jp-agent-plan" }, h("div", { class: "jp-agent-label" }, "Plan"),
    b.explanation ? h("div", { class: "jp-agent-meta" }, b.explanation) : null, h("ul", { class: "jp-agent-plan-list" }, items));
}

function renderApproval(b, ctx) {
  const pending = b.status === "pending" && !ctx.ui.sent.has(b.id);
  const what = b.request === "exec"
    ? [codePre("$ " + shellJoin(b.argv), "console"), meta(b.cwd ? `in ${b.cwd}` : null)]
    : (b.files || []).map((f, n) => renderFile(f, ctx, `${b.id}:f${n}`, true));
  const root = b.grant_root ? h("div", { class: "jp-agent-note" }, `Also grants write access to ${b.grant_root}`) : null;
  const reason = b.reason ? h("blockquote", { class: "jp-agent-reason" }, b.reason) : null;
  const buttons = h("div", { class: "jp-agent-buttons" }, (b.options || []).map((opt) =>
    h("button", { class: `jp-agent-btn jp-agent-btn-${opt}`, type: "button", disabled: !pending, "data-decision": opt,
      onclick: (e) => decide(ctx, b, opt, e.currentTarget.parentElement) }, BUTTON_LABELS[opt] || opt)));
  let verdict = null;
  if (b.status === "decided") verdict = h("div", { class: `jp-agent-verdict jp-agent-verdict-${b.decision}` }, DECISION_LABELS[b.decision] || b.decision);
  else if (b.status === "aborted") verdict = h("div", { class: "jp-agent-verdict jp-agent-verdict-abort" }, "Aborted before a decision");
  const title = b.request === "exec" ? "Run this command?" : "Apply this patch?";
  return h("div", { class: `jp-agent-block jp-agent-approval jp-agent-approval-${b.status}` },
    h("div", { class: "jp-agent-label" }, title), what, root, reason, b.status === "pending" ? buttons : verdict);
}

function decide(ctx, b, decision, container) {
  if (ctx.ui.sent.has(b.id)) return;
  ctx.ui.sent.add(b.id);
  container.querySelectorAll("button").forEach((btn) => (btn.disabled = true));
  ctx.model.send({ kind: "decision", call_id: b.call_id, decision });
}

function renderError(b) {
  const code = b.http_status ? ` (HTTP ${b.http_status})` : "";
  return h("div", { class: "jp-agent-block jp-agent-error" }, h("strong", {}, `Error${code}: `), b.message);
}

function renderStreamError(b) {
  const retryAt = b.retry_in_ms != null ? b.at + b.retry_in_ms / 1000 : null;
  return h("div", { class: "jp-agent-block jp-agent-stream-error" }, b.message,
    retryAt != null ? h("span", { class: "jp-agent-countdown", "data-retry-at": retryAt }) : null);
}

function renderNotice(b) {
  return h("div", { class: `jp-agent-block jp-agent-notice jp-agent-notice-${b.level}` }, b.message);
}

const RENDERERS = {
  user: renderUser, agent: renderAgent, reasoning: renderReasoning, command: renderCommand, tool: renderTool,
  patch: renderPatch, plan: renderPlan, approval: renderApproval, error: renderError,
  stream_error: renderStreamError, notice: renderNotice,
};

function renderBlock(b, ctx) {
  const fn = RENDERERS[b.kind];
  const el = fn ? fn(b, ctx) : h("div", { class: "jp-agent-block" });
  el.dataset.blockId = b.id;
  return el;
}

// --- the view -----------------------------------------------------------------------------

function keepScroll(oldNode, newNode) {
  const saved = new Map();
  if (oldNode) {
    oldNode.querySelectorAll("[data-scroll-key]").forEach((p) =>
      saved.set(p.dataset.scrollKey, { top: p.scrollTop, atEnd: p.scrollHeight - p.scrollTop - p.clientHeight < 8 }));
    oldNode.replaceWith(newNode);
  }
  newNode.querySelectorAll("[data-scroll-key]").forEach((p) => {
    const s = saved.get(p.dataset.scrollKey);
    p.scrollTop = !s || s.atEnd ? p.scrollHeight : s.top;
  });
}

function uiStateFor(model) {
  let ui = uiStates.get(model);
  if (!ui) {
    ui = { open: new Map(), sent: new Set(), stopSent: false };
    uiStates.set(model, ui);
  }
  return ui;
}

function render({ model, el }) {
  const ctx = { model, ui: uiStateFor(model), offset: 0, status: {} };
  const list = h("div", { class: "jp-agent-blocks" });
  const diffSlot = h("div", { class: "jp-agent-turn-diff" });
  // The footer's Stop button is one element for the view's life: re-creating it on every
  // state sync (up to ~30/s while streaming) would detach it between mousedown and mouseup
  // and lose the click.
  const footerItems = h("div", { class: "jp-agent-footer-items" });
  const stopButton = h("button", { class: "jp-agent-btn jp-agent-stop", type: "button", hidden: true, onclick: onStop }, "Stop");
  const footer = h("div", { class: "jp-agent-footer" }, footerItems, stopButton);
  el.append(h("div", { class: "jp-agent-view" }, list, diffSlot, footer));
  const drawn = new Map(); // block id -> {rev, node}
  let lastDiff = null;

  function update() {
    const state = model.get("state") || {};
    const status = state.status || {};
    ctx.status = status;
    ctx.offset = status.now != null ? Date.now() / 1000 - status.now : 0;
    updateBlocks(state.blocks || []);
    if (state.turn_diff !== lastDiff) {
      lastDiff = state.turn_diff;
      diffSlot.replaceChildren(...(lastDiff ? [details(ctx, "turn-diff", false, "Changes in this turn", codePre(lastDiff, "diff", "turn-diff"))] : []));
    }
    renderFooter();
  }

  function updateBlocks(blocks) {
    const seen = new Set();
    let prev = null;
    for (const b of blocks) {
      seen.add(b.id);
      let entry = drawn.get(b.id);
      if (!entry || entry.rev !== b.rev) {
        const node = renderBlock(b, ctx);
        const old = entry ? entry.node : null;
        entry = { rev: b.rev, node, placed: old !== null };
        drawn.set(b.id, entry);
        if (old) keepScroll(old, node);
      }
      const expected = prev ? prev.nextSibling : list.firstChild;
      if (expected !== entry.node) list.insertBefore(entry.node, expected);
      if (!entry.placed) {
        entry.placed = true;
        keepScroll(null, entry.node);
      }
      prev = entry.node;
    }
    for (const [id, entry] of drawn) {
      if (!seen.has(id)) {
        entry.node.remove();
        drawn.delete(id);
      }
    }
  }

  function renderFooter() {
    const s = ctx.status;
    const active = ACTIVE.has(s.state);
    if (!active) ctx.ui.stopSent = false;
    const stopping = s.stopping || ctx.ui.stopSent;
    stopButton.hidden = !active;
    stopButton.disabled = stopping;
    const stopLabel = stopping ? "Stopping\u2026" : "Stop";
    if (stopButton.textContent !== stopLabel) stopButton.textContent = stopLabel;
    const label = (STATE_LABELS[s.state] || s.state || "") + (s.reason ? ` (${s.reason})` : "");
    const items = [
      h("span", { class: `jp-agent-state jp-agent-state-${s.state}` }, active ? h("span", { class: "jp-agent-spinner" }) : null, label),
      h("span", { class: "jp-agent-elapsed" }),
      s.tokens_used ? h("span", {}, `${Number(s.tokens_used).toLocaleString()} tokens`) : null,
      s.context_left_percent != null ? h("span", {}, `${s.context_left_percent}% context left`) : null,
      s.model ? h("span", {}, s.model) : null,
      s.sandbox ? h("span", {}, `sandbox: ${s.sandbox}${s.sandbox_mechanism ? ` (${s.sandbox_mechanism})` : ""}`) : null,
    ];
    footerItems.replaceChildren(...items.filter(Boolean));
    tick();
  }

  function onStop() {
    if (ctx.ui.stopSent || stopButton.hidden) return;
    ctx.ui.stopSent = true;
    stopButton.disabled = true;
    stopButton.textContent = "Stopping\u2026";
    model.send({ kind: "stop" });
  }

  function tick() {
    const s = ctx.status;
    const kernelNow = Date.now() / 1000 - ctx.offset;
    const elapsed = ACTIVE.has(s.state) && s.started_at != null ? kernelNow - s.started_at : s.elapsed_s;
    const el2 = footer.querySelector(".jp-agent-elapsed");
    if (el2) el2.textContent = elapsed != null ? fmtMs(Math.max(0, Math.round(elapsed * 1000))) : "";
    list.querySelectorAll("[data-retry-at]").forEach((node) => {
      const left = Number(node.dataset.retryAt) - kernelNow;
      node.textContent = ACTIVE.has(s.state) && left > 0 ? ` \u2014 retrying in ${Math.ceil(left)} s` : "";
    });
  }

  model.on("change:state", update);
  const timer = setInterval(tick, 500);
  update();
  return () => {
    clearInterval(timer);
    model.off("change:state", update);
  };
}

export default { render };
