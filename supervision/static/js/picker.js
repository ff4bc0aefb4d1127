// Type-ahead pickers for estates and companies (supervision/pickers). Without JavaScript the text box is
// matched on submit; with it, typing lists the matching options (fetched from the server, scoped to the
// user) as an ARIA combobox: up/down to move, Enter to choose, Escape to close.
(function () {
  "use strict";
  var DELAY = 200;

  function setup(input) {
    var hidden = document.getElementById(input.getAttribute("data-picker-value"));
    var list = document.getElementById(input.getAttribute("aria-controls"));
    var status = document.getElementById(input.getAttribute("data-picker-status"));
    if (!hidden || !list) return;
    var timer = null;
    var sequence = 0;
    var options = [];
    var active = -1;

    function say(text) { if (status) status.textContent = text; }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      var items = list.querySelectorAll("[role=option]");
      items.forEach(function (item, i) { item.setAttribute("aria-selected", i === index ? "true" : "false"); });
      active = index;
      if (index >= 0 && items[index]) {
        input.setAttribute("aria-activedescendant", items[index].id);
        items[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function choose(index) {
      var option = options[index];
      if (!option) return;
      input.value = option.value;
      hidden.value = String(option.id);
      input.classList.remove("is-invalid");
      input.removeAttribute("aria-invalid");
      close();
      say(option.label);
      hidden.dispatchEvent(new Event("change", { bubbles: true }));
    }

    function render(found) {
      options = found;
      list.textContent = "";
      found.forEach(function (option, i) {
        var item = document.createElement("li");
        item.id = list.id + "-" + i;
        item.setAttribute("role", "option");
        item.setAttribute("aria-selected", "false");
        item.className = "picker-option";
        var label = document.createElement("span");
        label.className = "picker-label";
        label.textContent = option.label;
        item.appendChild(label);
        if (option.hint) {
          var hint = document.createElement("span");
          hint.className = "picker-hint";
          hint.textContent = option.hint;
          item.appendChild(hint);
        }
        item.addEventListener("mousedown", function (event) { event.preventDefault(); });
        item.addEventListener("click", function () { choose(i); });
        list.appendChild(item);
      });
      if (!found.length) {
        var empty = document.createElement("li");
        empty.className = "picker-empty";
        empty.textContent = input.getAttribute("data-picker-empty");
        list.appendChild(empty);
      }
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      active = -1;
      say(found.length ? input.getAttribute("data-picker-count").replace("{n}", found.length)
                       : input.getAttribute("data-picker-empty"));
    }

    function fetchOptions() {
      var q = input.value.trim();
      if (!q) { close(); options = []; return; }
      var url = new URL(input.getAttribute("data-picker-url"), window.location.href);
      url.searchParams.set("q", q);
      var mine = ++sequence;
      fetch(url.toString(), { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (response) { return response.ok ? response.json() : []; })
        .then(function (found) { if (mine === sequence && document.activeElement === input) render(found); })
        .catch(function () { /* offline: the typed text is matched on submit */ });
    }

    input.addEventListener("input", function () {
      hidden.value = "";  // the text no longer names the chosen option: the server matches it on submit
      clearTimeout(timer);
      timer = setTimeout(fetchOptions, DELAY);
    });
    input.addEventListener("keydown", function (event) {
      var open = !list.hidden && options.length;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (list.hidden) { fetchOptions(); return; }
        if (open) highlight(active < options.length - 1 ? active + 1 : 0);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        if (open) highlight(active > 0 ? active - 1 : options.length - 1);
      } else if (event.key === "Enter") {
        if (open && active >= 0) { event.preventDefault(); choose(active); }
      } else if (event.key === "Escape") {
        if (!list.hidden) { event.preventDefault(); close(); }
      }
    });
    input.addEventListener("blur", function () { setTimeout(close, 150); });
  }

  // A select that depends on the picked option (the spot check's campaigns follow its estate): fetch this
  // page for the new id and take the select from it.
  function follow(hidden) {
    var targetId = hidden.getAttribute("data-picker-refresh");
    var param = hidden.getAttribute("data-picker-param");
    if (!targetId || !param) return;
    hidden.addEventListener("change", function () {
      var url = new URL(window.location.href);
      url.search = "";
      url.searchParams.set(param, hidden.value);
      fetch(url.toString(), { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.text() : ""; })
        .then(function (html) {
          if (!html) return;
          var fresh = new DOMParser().parseFromString(html, "text/html").getElementById(targetId);
          var current = document.getElementById(targetId);
          if (fresh && current) current.replaceWith(document.importNode(fresh, true));
        })
        .catch(function () { /* keep the current choices */ });
    });
  }

  document.querySelectorAll("input[data-picker-url]").forEach(setup);
  document.querySelectorAll("input[data-picker-refresh]").forEach(follow);
  document.querySelectorAll("[data-picker-nojs]").forEach(function (element) { element.remove(); });
})();
