// Airlock admin page: confirmations and live updates. No inline script
// anywhere (the CSP forbids it); everything the server sends is written
// with textContent or as parsed same-origin HTML, never as raw strings.
"use strict";

document.addEventListener("submit", function (ev) {
  var msg = ev.target.getAttribute("data-confirm");
  if (msg && !window.confirm(msg)) {
    ev.preventDefault();
  }
});

function setLive(text, ok) {
  var el = document.getElementById("live");
  if (!el) return;
  el.textContent = text;
  el.className = ok ? "live on" : "live off";
}

function applyFields(fields) {
  Object.keys(fields).forEach(function (k) {
    document.querySelectorAll('[data-field="' + k + '"]').forEach(function (el) {
      el.textContent = fields[k];
      if (k === "sandbox") el.className = "big sandbox-" + fields[k].replace(/ /g, "-");
    });
  });
}

function addChange(c) {
  var body = document.getElementById("changes");
  if (!body) return;
  var empty = body.querySelector("tr.empty");
  if (empty) empty.remove();
  var tr = document.createElement("tr");
  tr.className = "new state-" + c.state;
  var cells = [c.at, null, c.state, c.actor];
  cells.forEach(function (text, i) {
    var td = document.createElement("td");
    if (i === 1) {
      var a = document.createElement("a");
      a.href = "/messages/" + encodeURIComponent(c.id);
      a.textContent = c.id;
      td.appendChild(a);
    } else {
      td.textContent = text;
    }
    tr.appendChild(td);
  });
  body.insertBefore(tr, body.firstChild);
  while (body.rows.length > 50) body.deleteRow(body.rows.length - 1);
}

// refreshList re-reads the page the admin is on and swaps the list in, so
// newly held mail appears without a reload (first page only: later pages
// would shift under the reader).
var refreshTimer = null;
function refreshList() {
  var list = document.getElementById("list");
  if (!list || list.getAttribute("data-first") !== "true") return;
  if (refreshTimer) return;
  refreshTimer = setTimeout(function () {
    refreshTimer = null;
    fetch(window.location.href, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("list");
        var cur = document.getElementById("list");
        if (fresh && cur) cur.replaceWith(document.importNode(fresh, true));
      })
      .catch(function () {});
  }, 150);
}

function live() {
  var page = document.body.getAttribute("data-page");
  if (page !== "status" && page !== "list") return;
  var es = new EventSource("/events");
  es.onopen = function () { setLive("live", true); };
  es.onerror = function () { setLive("reconnecting…", false); };
  es.addEventListener("status", function (ev) { applyFields(JSON.parse(ev.data)); });
  es.addEventListener("change", function (ev) {
    var c = JSON.parse(ev.data);
    addChange(c);
    refreshList();
  });
}

document.addEventListener("DOMContentLoaded", live);
