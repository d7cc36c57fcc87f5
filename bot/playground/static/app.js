// The ligdibot playground page: a Telegram-like chat driven through the emulator's control API,
// kept live by the playground's event stream. Bot text is rendered from Telegram entities into
// DOM nodes (a fixed set of tags, text always as text nodes): no bot or user string is ever
// parsed as HTML.

const API = "/playground/api";
const TYPING_MS = 5000;
const HOOD_MAX_LINES = 1500;
const NEAR_BOTTOM_PX = 120;
const SAFE_SCHEMES = new Set(["http:", "https:", "mailto:", "tg:"]);

const state = {
  info: null,
  snapshotSeq: 0,
  people: new Map(), // id -> persona
  chats: new Map(), // id -> {messages: Map(message_id -> message), keyboard, unread}
  active: null,
  queries: new Map(), // callback_query id -> {chatId, node}
  answers: new Map(), // answers that arrived before their press's own reply: id -> params
  typingUntil: new Map(), // chat id -> time
  hiddenKeyboards: new Map(), // chat id -> JSON of a one-time keyboard already used
  hoodLines: 0,
};

const $ = (id) => document.getElementById(id);

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}

function safeUrl(raw) {
  try {
    const url = new URL(raw, window.location.href);
    return SAFE_SCHEMES.has(url.protocol) ? url.href : null;
  } catch {
    return null;
  }
}

async function postJSON(url, body) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.error || `${response.status} ${response.statusText}`);
  return data;
}

function emulator(path) {
  return `${state.info.emulator}/_emulator${path}`;
}

function fileUrl(fileId) {
  return emulator(`/files/${encodeURIComponent(fileId)}`);
}

function hue(id) {
  return (Number(id) * 47) % 360;
}

function avatar(name, id, extra = "") {
  const node = el("div", { class: `avatar ${extra}`, "aria-hidden": "true", text: (name || "?")[0] });
  node.style.setProperty("--hue", String(hue(id)));
  return node;
}

// --- Telegram entities -> DOM ----------------------------------------------------------------

// Telegram detects commands and links in a message's plain text; the emulator leaves that to
// clients, so the page finds them where no entity of the bot already covers the text.
const AUTO_ENTITIES = /(?<=^|[\s(])(\/[A-Za-z0-9_]{1,32})(?![\w/])|https?:\/\/[^\s<>"]+[^\s<>".,;:!?)]/g;

function detected(text, entities) {
  const found = [];
  for (const match of text.matchAll(AUTO_ENTITIES)) {
    const offset = match.index;
    const length = match[0].length;
    const covered = entities.some((e) => offset < e.offset + e.length && e.offset < offset + length);
    if (!covered) found.push({ type: match[1] ? "bot_command" : "url", offset, length });
  }
  return found;
}

function renderEntities(text, entities) {
  const given = entities || [];
  const all = [...given, ...detected(text, given)];
  const sorted = all.sort((a, b) => a.offset - b.offset || b.length - a.length);
  return build(text, 0, text.length, sorted);
}

function build(text, start, end, entities) {
  // Offsets are UTF-16 code units, like JavaScript string indexes.
  const out = [];
  let pos = start;
  let i = 0;
  while (i < entities.length) {
    const entity = entities[i];
    const entityEnd = entity.offset + entity.length;
    const inner = [];
    let j = i + 1;
    while (j < entities.length && entities[j].offset < entityEnd) inner.push(entities[j++]);
    const from = Math.max(entity.offset, pos);
    const to = Math.min(entityEnd, end);
    if (from > pos) out.push(document.createTextNode(text.slice(pos, from)));
    if (to > from) {
      const node = entityNode(entity, text.slice(entity.offset, entityEnd));
      node.append(...build(text, from, to, inner));
      out.push(node);
    }
    pos = Math.max(pos, to);
    i = j;
  }
  if (pos < end) out.push(document.createTextNode(text.slice(pos, end)));
  return out;
}

function link(href, type) {
  const url = href ? safeUrl(href) : null;
  if (!url) return el("span", { class: `entity-${type}` });
  return el("a", { href: url, target: "_blank", rel: "noopener noreferrer", class: `entity-${type}` });
}

function entityNode(entity, content) {
  switch (entity.type) {
    case "bold":
      return el("strong");
    case "italic":
      return el("em");
    case "underline":
      return el("u");
    case "strikethrough":
      return el("s");
    case "spoiler":
      return el("span", {
        class: "spoiler",
        title: "Spoiler: click to show",
        onclick: (event) => event.currentTarget.classList.add("revealed"),
      });
    case "code":
      return el("code");
    case "pre":
      return el("pre", { "data-language": entity.language || null });
    case "blockquote":
    case "expandable_blockquote":
      return el("blockquote", { class: entity.type });
    case "text_link":
      return link(entity.url, "text_link");
    case "url":
      return link(/^[a-z][a-z0-9+.-]*:/i.test(content) ? content : `http://${content}`, "url");
    case "email":
      return link(`mailto:${content}`, "email");
    case "bot_command":
      return el("a", {
        href: "#",
        class: "command",
        onclick: (event) => {
          event.preventDefault();
          sendText(content);
        },
      });
    default:
      return el("span", { class: `entity-${entity.type}` });
  }
}

// --- messages --------------------------------------------------------------------------------

function formatTime(seconds) {
  return new Date(seconds * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
}

function formatSize(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} kB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function messageNode(chatId, message) {
  const bubble = el("div", { class: "bubble" });
  if (message.photo) {
    const photo = message.photo;
    bubble.append(
      el(
        "a",
        { href: fileUrl(photo.file_id), target: "_blank", rel: "noopener", class: "photo-link" },
        el("img", {
          class: "photo",
          src: fileUrl(photo.file_id),
          alt: "photo",
          width: photo.width,
          height: photo.height,
        }),
      ),
    );
  }
  if (message.document) {
    const doc = message.document;
    const name = doc.file_name || "file";
    bubble.append(
      el(
        "a",
        { class: "document", href: fileUrl(doc.file_id), download: name },
        el("span", { class: "document-icon", "aria-hidden": "true", text: "⬇" }),
        el(
          "span",
          { class: "document-text" },
          el("span", { class: "document-name", text: name }),
          el("span", { class: "document-size", text: formatSize(doc.file_size || 0) }),
        ),
      ),
    );
  }
  if (message.contact) {
    const contact = message.contact;
    bubble.append(
      el(
        "div",
        { class: "contact" },
        el("span", { class: "contact-icon", "aria-hidden": "true", text: "☎" }),
        el("span", { text: `${contact.first_name || ""} ${contact.phone_number || ""}`.trim() }),
      ),
    );
  }
  const text = message.text ?? message.caption;
  const entities = message.text != null ? message.entities : message.caption_entities;
  if (text) bubble.append(el("div", { class: "text" }, ...renderEntities(text, entities)));
  bubble.append(
    el(
      "span",
      { class: "meta" },
      message.edits ? el("span", { class: "edited", text: "edited" }) : null,
      el("span", { class: "time", text: formatTime(message.edit_date || message.date) }),
    ),
  );
  const node = el(
    "div",
    {
      class: `msg ${message.from_bot ? "from-bot" : "from-user"}${message.photo ? " has-photo" : ""}`,
      "data-message-id": message.message_id,
    },
    bubble,
  );
  const rows = message.reply_markup?.inline_keyboard;
  if (Array.isArray(rows) && rows.length) node.append(inlineKeyboard(chatId, message, rows));
  return node;
}

function inlineKeyboard(chatId, message, rows) {
  const keyboard = el("div", { class: "inline-keyboard" });
  for (const row of rows) {
    const line = el("div", { class: "inline-row" });
    for (const button of row) {
      if (button.url) {
        const href = safeUrl(button.url);
        line.append(
          el(
            "a",
            {
              class: "inline-button url-button",
              href: href || "#",
              target: "_blank",
              rel: "noopener",
              title: href || "unsupported link",
            },
            el("span", { text: button.text }),
            el("span", { class: "url-mark", "aria-hidden": "true", text: "↗" }),
          ),
        );
      } else if (button.callback_data !== undefined) {
        line.append(
          el("button", {
            type: "button",
            class: "inline-button",
            text: button.text,
            onclick: (event) => press(chatId, message.message_id, button.callback_data, event.currentTarget),
          }),
        );
      } else {
        line.append(
          el("button", {
            type: "button",
            class: "inline-button",
            text: button.text,
            disabled: true,
            title: "This kind of button is not simulated",
          }),
        );
      }
    }
    keyboard.append(line);
  }
  return keyboard;
}

function chatOf(id) {
  let chat = state.chats.get(id);
  if (!chat) {
    chat = { messages: new Map(), keyboard: null, unread: 0 };
    state.chats.set(id, chat);
  }
  return chat;
}

function nearBottom() {
  const box = $("messages");
  return box.scrollHeight - box.scrollTop - box.clientHeight < NEAR_BOTTOM_PX;
}

function scrollToBottom() {
  const box = $("messages");
  box.scrollTop = box.scrollHeight;
}

function renderChat() {
  const box = $("messages");
  box.replaceChildren();
  const chat = chatOf(state.active);
  const ids = [...chat.messages.keys()].sort((a, b) => a - b);
  if (!ids.length) {
    box.append(
      el(
        "div",
        { class: "empty" },
        el("p", { text: "No messages yet." }),
        el("p", {}, "Type ", el("code", { text: "/start" }), " or use the / menu."),
      ),
    );
  }
  for (const id of ids) box.append(messageNode(state.active, chat.messages.get(id)));
  renderKeyboard();
  renderHeader();
  scrollToBottom();
  // Photos change the height once loaded: stay at the bottom.
  for (const img of box.querySelectorAll("img")) img.addEventListener("load", scrollToBottom, { once: true });
}

function placeMessage(message) {
  const box = $("messages");
  const stick = nearBottom();
  box.querySelector(".empty")?.remove();
  const old = box.querySelector(`[data-message-id="${message.message_id}"]`);
  if (message.deleted) {
    old?.remove();
    return;
  }
  const node = messageNode(state.active, message);
  if (old) {
    old.replaceWith(node);
  } else {
    const later = [...box.children].find((child) => Number(child.dataset.messageId) > message.message_id);
    box.insertBefore(node, later || null);
  }
  if (stick) {
    scrollToBottom();
    node.querySelector("img")?.addEventListener("load", scrollToBottom, { once: true });
  }
}

function applyMessage(message, keyboard) {
  const chatId = message.chat_id;
  const chat = chatOf(chatId);
  const isNew = !chat.messages.has(message.message_id);
  if (message.deleted) chat.messages.delete(message.message_id);
  else chat.messages.set(message.message_id, message);
  if (keyboard !== undefined) chat.keyboard = keyboard;
  if (isNew && message.from_bot && !message.deleted) {
    state.typingUntil.delete(chatId);
    if (chatId !== state.active) chat.unread += 1;
  }
  if (chatId === state.active) {
    placeMessage(message);
    renderKeyboard();
    renderHeader();
  }
  renderPeople();
}

// --- reply keyboard, commands, sending -------------------------------------------------------

function renderKeyboard() {
  const box = $("reply-keyboard");
  const chat = chatOf(state.active);
  const keyboard = chat.keyboard;
  const rows = keyboard?.keyboard;
  const toggle = $("keyboard-button");
  box.replaceChildren();
  $("text").placeholder = keyboard?.input_field_placeholder || "Message";
  if (!Array.isArray(rows) || !rows.length) {
    box.hidden = true;
    toggle.hidden = true;
    return;
  }
  const used = state.hiddenKeyboards.get(state.active) === JSON.stringify(keyboard);
  box.hidden = used;
  toggle.hidden = !used;
  for (const row of rows) {
    const line = el("div", { class: "reply-row" });
    for (const key of row) {
      const button = typeof key === "string" ? { text: key } : key;
      line.append(
        el("button", {
          type: "button",
          class: `reply-button${button.request_contact ? " request-contact" : ""}`,
          text: button.request_contact ? `☎ ${button.text}` : button.text,
          disabled: button.request_location || button.request_poll || button.web_app ? true : null,
          onclick: () => {
            if (keyboard.one_time_keyboard) state.hiddenKeyboards.set(state.active, JSON.stringify(keyboard));
            if (button.request_contact) openContactDialog();
            else sendText(button.text);
            renderKeyboard();
          },
        }),
      );
    }
    box.append(line);
  }
}

async function sendText(text) {
  const chatId = state.active;
  if (!text.trim()) return;
  try {
    await postJSON(emulator(`/users/${chatId}/messages`), { text });
  } catch (error) {
    toast(`Not sent: ${error.message}`, true);
  }
}

async function press(chatId, messageId, data, node) {
  node.classList.add("busy");
  try {
    const update = await postJSON(emulator(`/users/${chatId}/button`), { message_id: messageId, data });
    const id = String(update.callback_query.id);
    state.queries.set(id, { chatId, node });
    // The bot may have answered before this reply came back: its answer waits in `answers`.
    if (state.answers.has(id)) {
      const params = state.answers.get(id);
      state.answers.delete(id);
      showAnswer(params);
    }
    // The bot answers every press; if it does not, stop showing the press after a while.
    setTimeout(() => node.classList.remove("busy"), 4000);
  } catch (error) {
    node.classList.remove("busy");
    toast(error.message, true);
  }
}

async function toggleCommands() {
  const box = $("commands");
  if (!box.hidden) {
    box.hidden = true;
    return;
  }
  box.replaceChildren(el("div", { class: "commands-loading", text: "…" }));
  box.hidden = false;
  try {
    const response = await fetch(`${API}/commands/${state.active}`);
    const { commands } = await response.json();
    box.replaceChildren();
    if (!commands?.length) box.append(el("div", { class: "commands-empty", text: "The bot set no commands." }));
    for (const command of commands || []) {
      box.append(
        el(
          "button",
          {
            type: "button",
            class: "command-item",
            onclick: () => {
              box.hidden = true;
              sendText(`/${command.command}`);
            },
          },
          el("span", { class: "command-name", text: `/${command.command}` }),
          el("span", { class: "command-description", text: command.description }),
        ),
      );
    }
  } catch (error) {
    box.replaceChildren(el("div", { class: "commands-empty", text: String(error) }));
  }
}

function openContactDialog() {
  const persona = state.people.get(state.active);
  const input = $("contact-number");
  input.value = persona?.phone || "";
  $("contact-dialog").showModal();
  input.focus();
  input.select();
}

async function shareContact(event) {
  event.preventDefault();
  const number = $("contact-number").value.trim();
  if (!number) return;
  $("contact-dialog").close();
  const persona = state.people.get(state.active);
  try {
    await postJSON(emulator(`/users/${state.active}/contact`), {
      phone_number: number,
      first_name: persona?.name,
    });
  } catch (error) {
    toast(`Not shared: ${error.message}`, true);
  }
}

// --- callback answers, typing, toasts --------------------------------------------------------

let toastTimer = 0;

function toast(text, isError = false) {
  const box = $("toast");
  box.textContent = text;
  box.classList.toggle("error", isError);
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    box.hidden = true;
  }, 3500);
}

function applyCall(call) {
  const params = call.params || {};
  if (call.method === "answerCallbackQuery") {
    const id = String(params.callback_query_id);
    if (state.queries.has(id)) {
      showAnswer(params);
    } else {
      // Pressed from this page but its reply is still on the way, or pressed elsewhere.
      state.answers.set(id, params);
      if (state.answers.size > 50) state.answers.delete(state.answers.keys().next().value);
    }
  } else if (call.method === "sendChatAction" && call.status === 200) {
    const chatId = Number(params.chat_id);
    state.typingUntil.set(chatId, Date.now() + TYPING_MS);
    if (chatId === state.active) renderHeader();
    setTimeout(renderHeader, TYPING_MS + 50);
  }
}

function showAnswer(params) {
  const id = String(params.callback_query_id);
  const query = state.queries.get(id);
  state.queries.delete(id);
  query.node.classList.remove("busy");
  if (!params.text || query.chatId !== state.active) return;
  if (params.show_alert === true || params.show_alert === "true") {
    $("alert-text").textContent = params.text;
    $("alert-dialog").showModal();
  } else {
    toast(params.text);
  }
}

// --- people ----------------------------------------------------------------------------------

function preview(chat) {
  const ids = [...chat.messages.keys()].sort((a, b) => b - a);
  for (const id of ids) {
    const message = chat.messages.get(id);
    const text = message.text ?? message.caption;
    if (text) return (message.from_bot ? "" : "You: ") + text.replace(/\s+/g, " ");
    if (message.photo) return "Photo";
    if (message.document) return message.document.file_name || "File";
    if (message.contact) return "Contact";
  }
  return "";
}

function renderPeople() {
  const list = $("people");
  list.replaceChildren();
  for (const persona of state.people.values()) {
    const chat = chatOf(persona.id);
    list.append(
      el(
        "li",
        {},
        el(
          "button",
          {
            type: "button",
            class: `person${persona.id === state.active ? " active" : ""}`,
            "data-person-id": persona.id,
            "aria-current": persona.id === state.active ? "true" : null,
            onclick: () => select(persona.id),
          },
          avatar(persona.name, persona.id),
          el(
            "span",
            { class: "person-text" },
            el(
              "span",
              { class: "person-line" },
              el("span", { class: "person-name", text: persona.name }),
              persona.role === "admin" ? el("span", { class: "role role-admin", text: "admin" }) : null,
              el("span", { class: "lang", text: persona.language }),
            ),
            el("span", { class: "person-preview", text: preview(chat) }),
          ),
          chat.unread ? el("span", { class: "unread", text: String(chat.unread) }) : null,
        ),
      ),
    );
  }
}

function addPersona(persona) {
  state.people.set(persona.id, persona);
  chatOf(persona.id);
}

function renderHeader() {
  const persona = state.people.get(state.active);
  const typing = (state.typingUntil.get(state.active) || 0) > Date.now();
  $("chat-status").textContent = typing ? "typing…" : "bot";
  $("chat-status").classList.toggle("typing", typing);
  const you = $("you");
  you.replaceChildren();
  if (persona) {
    you.append(
      el("span", { class: "you-label", text: "You are " }),
      avatar(persona.name, persona.id, "small"),
      el("strong", { text: persona.name }),
      el("span", { class: "lang", text: persona.language }),
    );
  }
}

function select(id) {
  if (!state.people.has(id)) return;
  state.active = id;
  chatOf(id).unread = 0;
  history.replaceState(null, "", `#chat=${id}`);
  $("commands").hidden = true;
  document.body.classList.remove("show-people");
  renderPeople();
  renderChat();
  applyHoodFilter();
  $("text").focus();
}

async function addCustomer(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const data = new FormData(form);
  try {
    const persona = await postJSON(`${API}/customers`, {
      first_name: data.get("first_name"),
      language_code: data.get("language_code"),
    });
    addPersona(persona);
    form.reset();
    select(persona.id);
  } catch (error) {
    toast(error.message, true);
  }
}

// --- under the hood --------------------------------------------------------------------------

function formatClock(iso) {
  const date = new Date(iso);
  const pad = (n, w = 2) => String(n).padStart(w, "0");
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

const SOURCE_LABELS = { telegram: "TG", ligdicash: "LC", state: "DB", playground: "PG" };

function addHoodLine(entry) {
  // A message change follows the Bot API call that made it: the call's line says it already.
  if (entry.source === "telegram" && entry.kind === "message") return;
  const list = $("hood-lines");
  const stick = list.scrollHeight - list.scrollTop - list.clientHeight < NEAR_BOTTOM_PX;
  const line = el(
    "li",
    {
      class: `line source-${entry.source}${entry.ok ? "" : " failed"}`,
      "data-source": entry.source,
      "data-chat": entry.chat_id ?? "",
      "data-seq": entry.seq,
      title: "Click for details",
    },
    el("span", { class: "line-time", text: formatClock(entry.at) }),
    el("span", { class: "line-source", text: SOURCE_LABELS[entry.source] || entry.source }),
    el("span", { class: "line-summary", text: entry.summary }),
  );
  line.addEventListener("click", () => {
    const open = line.querySelector("pre");
    if (open) open.remove();
    else line.append(el("pre", { class: "line-detail", text: JSON.stringify(entry.data, null, 2) }));
  });
  line.hidden = !visible(line);
  // State changes are read from the database a moment after they happen: keep time order.
  const at = Date.parse(entry.at);
  line.dataset.at = String(at);
  let next = null;
  for (let node = list.lastElementChild, steps = 0; node && steps < 200; node = node.previousElementSibling, steps++) {
    if (Number(node.dataset.at) <= at) break;
    next = node;
  }
  list.insertBefore(line, next);
  state.hoodLines += 1;
  while (state.hoodLines > HOOD_MAX_LINES) {
    list.firstElementChild?.remove();
    state.hoodLines -= 1;
  }
  if (stick) list.scrollTop = list.scrollHeight;
}

function visible(line) {
  const source = line.dataset.source;
  const box = document.querySelector(`.hood-filters input[data-source="${source}"]`);
  if (box && !box.checked) return false;
  if ($("this-chat").checked && line.dataset.chat && Number(line.dataset.chat) !== state.active) return false;
  return true;
}

function applyHoodFilter() {
  for (const line of $("hood-lines").children) line.hidden = !visible(line);
}

// --- the live stream -------------------------------------------------------------------------

function handle(entry) {
  addHoodLine(entry);
  // The snapshot the page started from already shows what came before it.
  if (entry.seq <= state.snapshotSeq) return;
  if (entry.source === "telegram" && entry.kind === "message") {
    applyMessage(entry.data.message, entry.data.reply_keyboard);
  } else if (entry.source === "telegram" && entry.kind === "call") {
    applyCall(entry.data);
  } else if (entry.source === "playground" && entry.kind === "persona") {
    addPersona(entry.data.persona);
    renderPeople();
  }
}

function setLive(live) {
  const badge = $("live");
  badge.dataset.live = live ? "yes" : "no";
  badge.textContent = live ? "live" : "reconnecting…";
}

function connect() {
  const source = new EventSource(`${API}/events?after=0`);
  source.addEventListener("hello", (event) => {
    const hello = JSON.parse(event.data);
    // A new playground process numbers its feed from scratch: start over from its state.
    if (hello.instance !== state.info.instance) window.location.reload();
    setLive(true);
  });
  source.addEventListener("message", (event) => handle(JSON.parse(event.data)));
  source.addEventListener("error", () => setLive(false));
}

// --- start -----------------------------------------------------------------------------------

function renderMagic(groups) {
  const body = $("magic-body");
  body.replaceChildren();
  for (const group of groups) {
    const table = el("table", { class: "magic-table" }, el("caption", { text: group.title }));
    for (const item of group.values) {
      table.append(el("tr", {}, el("td", {}, el("code", { text: item.value })), el("td", { text: item.meaning })));
    }
    body.append(table);
  }
}

function renderPhoneChoices(phones) {
  const box = $("phone-choices");
  box.replaceChildren();
  for (const phone of phones) {
    box.append(
      el(
        "button",
        {
          type: "button",
          class: "phone-choice",
          "data-number": phone.number,
          onclick: () => {
            $("contact-number").value = phone.number;
          },
        },
        el("code", { text: phone.number }),
        el("span", { text: phone.label }),
      ),
    );
  }
}

function wire() {
  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const box = $("text");
    const text = box.value;
    box.value = "";
    sendText(text);
    box.focus();
  });
  $("text").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $("composer").requestSubmit();
    }
  });
  $("menu-button").addEventListener("click", toggleCommands);
  $("contact-button").addEventListener("click", openContactDialog);
  $("keyboard-button").addEventListener("click", () => {
    state.hiddenKeyboards.delete(state.active);
    renderKeyboard();
  });
  $("contact-form").addEventListener("submit", shareContact);
  $("contact-cancel").addEventListener("click", () => $("contact-dialog").close());
  $("alert-ok").addEventListener("click", () => $("alert-dialog").close());
  $("add-person").addEventListener("submit", addCustomer);
  $("open-people").addEventListener("click", () => document.body.classList.add("show-people"));
  $("close-people").addEventListener("click", () => document.body.classList.remove("show-people"));
  $("open-hood").addEventListener("click", () => document.body.classList.toggle("show-hood"));
  $("close-hood").addEventListener("click", () => document.body.classList.remove("show-hood"));
  $("clear-hood").addEventListener("click", () => {
    $("hood-lines").replaceChildren();
    state.hoodLines = 0;
  });
  for (const box of document.querySelectorAll(".hood-filters input")) box.addEventListener("change", applyHoodFilter);
}

async function start() {
  wire();
  const response = await fetch(`${API}/state`);
  const info = await response.json();
  state.info = info;
  state.snapshotSeq = info.seq;
  document.title = `${info.store_name} · ligdibot playground`;
  $("bot-name").textContent = info.bot.first_name;
  $("bot-avatar").textContent = info.bot.first_name[0];
  for (const persona of info.personas) addPersona(persona);
  for (const [id, chat] of Object.entries(info.chats)) {
    const known = chatOf(Number(id));
    for (const message of chat.messages) known.messages.set(message.message_id, message);
    known.keyboard = chat.reply_keyboard;
  }
  renderMagic(info.magic);
  renderPhoneChoices(info.phones);
  const wanted = Number(new URLSearchParams(window.location.hash.slice(1)).get("chat"));
  const firstCustomer = info.personas.find((persona) => persona.role === "customer") || info.personas[0];
  select(state.people.has(wanted) ? wanted : firstCustomer.id);
  connect();
}

start().catch((error) => {
  document.body.prepend(el("div", { class: "fatal", text: `The playground did not start: ${error}` }));
});
