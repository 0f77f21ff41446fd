// Candor agent desk console. Everything shown comes from the desk API as text: it is put
// on the page with textContent only, never as HTML (customers' words are untrusted).
"use strict";

const API = new URL("api/", window.location.href.replace(/[^/]*$/, "")).href;
const REFRESH_MS = 4000;
let token = sessionStorage.getItem("candor-agent-token");
let me = null;
let currentId = null;

const $ = (id) => document.getElementById(id);

function say(text) { $("status").textContent = text || ""; }

async function call(path, options = {}) {
  const response = await fetch(API + path, {
    ...options,
    headers: { "Authorization": "Bearer " + token, "Content-Type": "application/json" },
  });
  let body = null;
  try { body = await response.json(); } catch (e) { body = null; }
  if (response.status === 401) { signOut("Your token was not accepted."); throw new Error("401"); }
  if (!response.ok) { throw new Error((body && body.error) || ("HTTP " + response.status)); }
  return body;
}

function minutes(seconds) {
  const m = Math.floor(seconds / 60);
  return m < 1 ? "< 1 min" : (m < 120 ? m + " min" : Math.floor(m / 60) + " h");
}

function cell(row, text, className) {
  const td = document.createElement("td");
  const span = document.createElement("span");
  span.textContent = text;
  if (className) span.className = className;
  td.appendChild(span);
  row.appendChild(td);
}

async function refreshQueue() {
  const { tickets } = await call("queue");
  const body = $("queue").querySelector("tbody");
  body.replaceChildren();
  for (const t of tickets) {
    const row = document.createElement("tr");
    row.dataset.ticketId = t.id;
    row.dataset.testid = "queue-row";
    if (t.id === currentId) row.classList.add("selected");
    cell(row, t.queue_priority, "priority-" + t.queue_priority);
    cell(row, t.customer);
    cell(row, t.reason.replaceAll("_", " "));
    cell(row, minutes(t.waiting_seconds));
    cell(row, t.status);
    cell(row, t.agent_id || "");
    row.addEventListener("click", () => openTicket(t.id));
    body.appendChild(row);
  }
  $("queue-count").textContent = "(" + tickets.length + ")";
  $("queue-empty").hidden = tickets.length > 0;
}

function summaryRow(list, label, value) {
  if (value === null || value === undefined || value === "" ||
      (Array.isArray(value) && value.length === 0)) return;
  const dt = document.createElement("dt");
  dt.textContent = label;
  const dd = document.createElement("dd");
  dd.textContent = Array.isArray(value) ? value.join(", ") : String(value);
  list.append(dt, dd);
}

async function openTicket(id) {
  currentId = id;
  const t = await call("tickets/" + encodeURIComponent(id));
  $("ticket-pane").hidden = false;
  $("ticket-title").textContent = "Ticket " + t.id.slice(0, 8) + " - " + t.reason.replaceAll("_", " ");
  const s = t.summary || {};
  const list = $("summary");
  list.replaceChildren();
  summaryRow(list, "Customer", t.customer);
  summaryRow(list, "Language", s.language);
  summaryRow(list, "Priority", t.priority);
  summaryRow(list, "Status", t.status + (t.agent_id ? " by " + t.agent_id : ""));
  summaryRow(list, "Trigger", s.trigger);
  summaryRow(list, "Because", s.because);
  summaryRow(list, "Last intent", s.intent);
  summaryRow(list, "Order number", s.order_number);
  summaryRow(list, "Opted out of AI", s.ai_opt_out ? "yes" : "no");
  summaryRow(list, "Consents", s.consents);
  summaryRow(list, "Channel", t.channel);
  summaryRow(list, "Filed", t.created_at);
  const transcript = $("transcript");
  transcript.replaceChildren();
  for (const line of t.transcript || []) {
    const li = document.createElement("li");
    li.className = "from-" + (line.from === "human" ? "human" : line.from === "customer" ? "customer" : "bot");
    const who = document.createElement("span");
    who.className = "who";
    who.textContent = line.from === "human" ? "human agent " + (line.agent_id || "") : line.from;
    const text = document.createElement("span");
    text.className = "text";
    text.textContent = line.text;
    li.append(who, text);
    transcript.appendChild(li);
  }
  transcript.scrollTop = transcript.scrollHeight;
  const mine = t.agent_id === me.id && (t.status === "claimed" || t.status === "open");
  const finished = t.status === "closed" || t.status === "handed_back";
  $("claim").disabled = finished || mine || (t.agent_id && t.agent_id !== me.id);
  $("handback").disabled = !mine;
  $("close").disabled = !mine;
  $("send").disabled = !mine;
  $("contact").hidden = !(s.callback_phone && mine);
  if (t.id !== $("contact-number").dataset.ticketId) $("contact-number").textContent = "";
  $("reply").disabled = !mine;
  for (const row of $("queue").querySelectorAll("tbody tr")) {
    row.classList.toggle("selected", row.dataset.ticketId === id);
  }
}

async function act(path, body) {
  if (!currentId) return;
  try {
    await call("tickets/" + encodeURIComponent(currentId) + "/" + path, {
      method: "POST", body: JSON.stringify(body || {}),
    });
    say("");
  } catch (e) { say(e.message); }
  await refresh();
}

async function refresh() {
  if (!me) return;
  try {
    await refreshQueue();
    if (currentId) await openTicket(currentId);
  } catch (e) { if (e.message !== "401") say(e.message); }
}

function signOut(message) {
  sessionStorage.removeItem("candor-agent-token");
  token = null; me = null; currentId = null;
  $("desk").hidden = true; $("login").hidden = false; $("sign-out").hidden = true;
  $("whoami").textContent = "";
  say(message || "");
}

async function signIn() {
  try {
    me = await call("me");
  } catch (e) { return; }
  sessionStorage.setItem("candor-agent-token", token);
  $("whoami").textContent = "Signed in as " + me.name + " (" + me.id + ")";
  $("login").hidden = true; $("desk").hidden = false; $("sign-out").hidden = false;
  say("");
  await refresh();
}

document.addEventListener("DOMContentLoaded", () => {
  $("login-form").addEventListener("submit", (event) => {
    event.preventDefault();
    token = $("token").value.trim();
    $("token").value = "";
    signIn();
  });
  $("sign-out").addEventListener("click", () => signOut());
  $("claim").addEventListener("click", () => act("claim"));
  $("handback").addEventListener("click", () => act("handback"));
  $("close").addEventListener("click", () => act("close"));
  $("contact").addEventListener("click", async () => {
    try {
      const { phone_number } = await call("tickets/" + encodeURIComponent(currentId) + "/contact");
      $("contact-number").textContent = phone_number;
      $("contact-number").dataset.ticketId = currentId;
    } catch (e) { say(e.message); }
  });
  $("reply-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = $("reply").value.trim();
    if (!text) return;
    await act("reply", { text });
    $("reply").value = "";
  });
  if (token) signIn();
  setInterval(refresh, REFRESH_MS);
});
