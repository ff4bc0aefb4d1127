// A lost connection loses nothing (progressive enhancement: without this script the forms post as usual).
//  - Forms marked data-offline keep a draft of what is typed (localStorage) and restore it on return.
//  - Each such form carries a fresh idempotency key; the server creates a submission once per key.
//  - A form submitted while offline is queued in IndexedDB (its files included), shown as 待发送,
//    and sent when the connection returns (the "online" event, or the next page opened online).
(function () {
  "use strict";
  var me = document.currentScript;
  var text = function (name) { return (me && me.getAttribute("data-" + name)) || name; };
  var KEY_FIELD = "idempotency_key";
  var SKIP = { csrf_token: true, version: true, idempotency_key: true };

  if ("serviceWorker" in navigator && me && me.getAttribute("data-sw")) {
    navigator.serviceWorker.register(me.getAttribute("data-sw"), { scope: "/" }).catch(function () {});
  }

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  // --- the outbox (IndexedDB) -----------------------------------------------------------
  var DB_NAME = "supervision-offline";
  var STORE = "outbox";

  function openDb() {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () { request.result.createObjectStore(STORE, { keyPath: "key" }); };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function withStore(mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var transaction = db.transaction(STORE, mode);
        var request = work(transaction.objectStore(STORE));
        transaction.oncomplete = function () { db.close(); resolve(request ? request.result : undefined); };
        transaction.onerror = function () { db.close(); reject(transaction.error); };
      });
    });
  }

  var outbox = {
    all: function () { return withStore("readonly", function (s) { return s.getAll(); }); },
    put: function (entry) { return withStore("readwrite", function (s) { return s.put(entry); }); },
    remove: function (key) { return withStore("readwrite", function (s) { return s.delete(key); }); }
  };

  // --- what the user sees -----------------------------------------------------------------
  var panel = null;
  var rows = {};

  function ensurePanel() {
    if (panel) return panel;
    panel = document.createElement("div");
    panel.className = "alert alert-warning offline-outbox";
    panel.setAttribute("role", "status");
    panel.setAttribute("aria-live", "polite");
    var title = document.createElement("div");
    title.textContent = text("outbox");
    panel.appendChild(title);
    var list = document.createElement("ul");
    list.className = "mb-0";
    panel.appendChild(list);
    var main = document.querySelector("main") || document.body;
    main.insertBefore(panel, main.firstChild);
    return panel;
  }

  function show(entry, state, url) {
    ensurePanel();
    var row = rows[entry.key];
    if (!row) {
      row = document.createElement("li");
      row.className = "offline-entry";
      row.setAttribute("data-key", entry.key);
      panel.querySelector("ul").appendChild(row);
      rows[entry.key] = row;
    }
    row.textContent = "";
    var badge = document.createElement("span");
    badge.className = "badge offline-state " + (state === "sent" ? "text-bg-success" :
      state === "failed" ? "text-bg-danger" : "text-bg-warning");
    badge.textContent = text(state);
    row.appendChild(badge);
    row.appendChild(document.createTextNode(" "));
    if (url) {
      var link = document.createElement("a");
      link.href = url;
      link.textContent = entry.label;
      row.appendChild(link);
    } else {
      row.appendChild(document.createTextNode(entry.label));
    }
    row.setAttribute("data-state", state);
  }

  // --- sending --------------------------------------------------------------------------
  var sending = false;

  function status(key) {
    return fetch("/submissions/" + encodeURIComponent(key), { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) throw new Error("status " + response.status);
        return response.json();
      });
  }

  function sendOne(entry) {
    show(entry, "sending");
    var body = new FormData();
    entry.fields.forEach(function (field) { body.append(field[0], field[1]); });
    return fetch(entry.action, { method: "POST", body: body, credentials: "same-origin" })
      .then(function (response) {
        if (response.status >= 500) throw new Error("server " + response.status);
        return status(entry.key);
      })
      .then(function (result) {
        return outbox.remove(entry.key).then(function () {
          if (result && result.received) {
            show(entry, "sent", result.url);
          } else {
            keepAsDraft(entry);  // refused (e.g. the item moved on meanwhile): what was typed waits on its page
            show(entry, "failed", entry.page);
          }
        });
      }, function () {
        show(entry, "queued");  // still no connection, or the server is down: try again later
        throw new Error("not sent");
      });
  }

  function keepAsDraft(entry) {
    var values = entry.fields.filter(function (field) {
      return typeof field[1] === "string" && !SKIP[field[0]];
    }).map(function (field) { return [field[0], field[1], "text"]; });
    try {
      if (entry.draft && values.length) localStorage.setItem(entry.draft, JSON.stringify({ at: Date.now(), values: values }));
    } catch (e) {}
  }

  function flush() {
    if (sending || !navigator.onLine) return Promise.resolve();
    sending = true;
    return outbox.all().then(function (entries) {
      entries.sort(function (a, b) { return a.queuedAt - b.queuedAt; });
      return entries.reduce(function (chain, entry) {
        return chain.then(function () { return sendOne(entry); });
      }, Promise.resolve());
    }).catch(function () {}).then(function () { sending = false; });
  }

  function queue(form, submitter) {
    var data = new FormData(form);
    if (submitter && submitter.name) data.append(submitter.name, submitter.value);
    var key = data.get(KEY_FIELD) || newKey();
    data.set(KEY_FIELD, key);
    var fields = [];
    data.forEach(function (value, name) {
      if (typeof value !== "string" && !value.name && !value.size) return;  // an empty file input
      fields.push([name, value]);
    });
    var entry = { key: key, action: form.action, page: location.href, label: form.getAttribute("data-offline"),
                  draft: drafts.name(form), fields: fields, queuedAt: Date.now() };
    return outbox.put(entry).then(function () {
      show(entry, "queued");
      drafts.clear(form);
      form.reset();
      setKey(form);
      var note = form.querySelector(".offline-note") || document.createElement("div");
      note.className = "alert alert-warning offline-note";
      note.setAttribute("role", "status");
      note.textContent = text("queued") + "：" + entry.label;
      form.insertBefore(note, form.firstChild);
    });
  }

  // --- drafts (localStorage) ------------------------------------------------------------
  var drafts = {
    name: function (form) { return "draft:" + (form.getAttribute("action") || location.pathname); },
    save: function (form) {
      var values = [];
      Array.prototype.forEach.call(form.elements, function (el) {
        if (!el.name || SKIP[el.name] || el.type === "file" || el.type === "hidden" || el.type === "submit") return;
        if ((el.type === "radio" || el.type === "checkbox") && !el.checked) return;
        values.push([el.name, el.value, el.type]);
      });
      var typed = values.some(function (v) { return v[1] && v[2] !== "select-one" && v[2] !== "radio" && v[2] !== "date"; });
      try {
        if (typed) localStorage.setItem(drafts.name(form), JSON.stringify({ at: Date.now(), values: values }));
        else localStorage.removeItem(drafts.name(form));  // nothing typed yet: no draft to keep
      } catch (e) {}
    },
    restore: function (form) {
      var saved;
      try { saved = JSON.parse(localStorage.getItem(drafts.name(form)) || "null"); } catch (e) { saved = null; }
      if (!saved || !saved.values || !saved.values.length) return;
      var byName = {};
      saved.values.forEach(function (v) { (byName[v[0]] = byName[v[0]] || []).push(v); });
      var changed = false;
      Array.prototype.forEach.call(form.elements, function (el) {
        var kept = byName[el.name];
        if (!el.name || SKIP[el.name] || el.type === "file" || el.type === "hidden" || el.type === "submit") return;
        if (el.type === "radio" || el.type === "checkbox") {
          var on = !!kept && kept.some(function (v) { return v[1] === el.value; });
          if (el.checked !== on) { el.checked = on; changed = true; }
        } else if (kept && el.value !== kept[0][1]) {
          el.value = kept[0][1];
          changed = true;
        }
      });
      if (changed) {
        var note = document.createElement("div");
        note.className = "alert alert-info offline-draft-note";
        note.setAttribute("role", "status");
        note.textContent = text("restored");
        form.insertBefore(note, form.firstChild);
      }
    },
    clear: function (form) {
      clearTimeout(form.draftTimer);
      try { localStorage.removeItem(drafts.name(form)); } catch (e) {}
    }
  };

  function setKey(form) {
    var field = form.querySelector("input[name=" + KEY_FIELD + "]");
    if (field) field.value = newKey();
  }

  // A form sent online: the server answered (this script runs), so its draft is done with, unless the
  // same form is shown again with errors (then the server filled it in and the files must be chosen again).
  var submitted = null;
  try { submitted = sessionStorage.getItem("offline:submitted"); sessionStorage.removeItem("offline:submitted"); } catch (e) {}

  document.querySelectorAll("form[data-offline]").forEach(function (form) {
    setKey(form);
    var hasErrors = form.querySelector(".is-invalid, .alert-danger");
    if (submitted === drafts.name(form) && !hasErrors) drafts.clear(form);
    if (!hasErrors) drafts.restore(form);  // a form shown again with errors already holds what was typed
    var save = function () {
      clearTimeout(form.draftTimer);
      form.draftTimer = setTimeout(function () { drafts.save(form); }, 300);
    };
    form.addEventListener("input", save);
    form.addEventListener("change", save);
    form.addEventListener("submit", function (event) {
      if (navigator.onLine || !window.indexedDB) {
        // Sent now. The draft stays until a page of this site answers (if the connection drops on
        // the way, the browser shows its error page and the draft is restored on return).
        clearTimeout(form.draftTimer);
        drafts.save(form);
        try { sessionStorage.setItem("offline:submitted", drafts.name(form)); } catch (e) {}
        return;
      }
      event.preventDefault();
      queue(form, event.submitter).catch(function () { form.submit(); });
    });
  });

  if (submitted) {
    try {
      var stillShown = Array.prototype.some.call(document.querySelectorAll("form[data-offline]"), function (f) {
        return drafts.name(f) === submitted;
      });
      if (!stillShown) localStorage.removeItem(submitted);
    } catch (e) {}
  }

  if (window.indexedDB) {
    outbox.all().then(function (entries) {
      entries.forEach(function (entry) { show(entry, "queued"); });
      if (entries.length) flush();
    }).catch(function () {});
    window.addEventListener("online", flush);
  }
})();
