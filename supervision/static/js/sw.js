// The service worker: when the network is gone, pages fall back to a static "offline" page and the
// stylesheets and scripts already seen are served from the cache. Form submissions are never
// touched here: the page script (offline.js) queues them itself.
/* eslint-env serviceworker */
"use strict";
var CACHE = "supervision-static-v1";
var OFFLINE_PAGE = "/static/offline.html";

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return cache.addAll([OFFLINE_PAGE, "/static/css/app.css", "/static/js/app.js", "/static/js/offline.js",
                         "/static/js/picker.js"]);
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) { return name !== CACHE; })
      .map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    // Pages hold personal data and are never cached; only the offline page stands in for them.
    event.respondWith(fetch(request).catch(function () {
      return caches.match(OFFLINE_PAGE);
    }));
    return;
  }
  if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(fetch(request).then(function (response) {
      if (response.ok) {
        var copy = response.clone();
        caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
      }
      return response;
    }).catch(function () {
      return caches.match(request, {ignoreSearch: true}).then(function (hit) {
        return hit || Response.error();
      });
    }));
  }
});
