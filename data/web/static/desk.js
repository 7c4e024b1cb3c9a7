// The desk's only script (no library, nothing from the internet). Inside Telegram the Mini
// App's address carries the signed init data in its fragment (#tgWebAppData=…): it is
// posted to the server, which checks it and starts a session; then the queue is shown.
// Telegram's theme colours, when given, become the page's.
(function () {
  "use strict";
  var hash = new URLSearchParams(window.location.hash.slice(1));
  var theme = hash.get("tgWebAppThemeParams");
  if (theme) {
    try {
      var colours = JSON.parse(theme);
      var names = { bg_color: "--bg", text_color: "--text", hint_color: "--hint",
                    link_color: "--link", button_color: "--button", button_text_color: "--button-text" };
      Object.keys(names).forEach(function (k) {
        if (/^#[0-9a-fA-F]{3,8}$/.test(colours[k] || "")) {
          document.documentElement.style.setProperty(names[k], colours[k]);
        }
      });
    } catch (e) { /* no theme: the default colours */ }
  }
  document.addEventListener("DOMContentLoaded", function () {
    var message = document.getElementById("message");
    var signin = message && message.getAttribute("data-signin");
    var data = hash.get("tgWebAppData");
    if (!signin) { return; }
    if (!data) {
      var next = message.getAttribute("data-next");
      if (next) { window.location.replace(next); }
      return;
    }
    fetch(signin, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ init_data: data }).toString()
    }).then(function (r) {
      if (!r.ok) {
        return r.text().then(function (html) {
          var refused = new DOMParser().parseFromString(html, "text/html").getElementById("message");
          message.textContent = refused ? refused.textContent : String(r.status);
          message.setAttribute("data-refused", String(r.status));
        });
      }
      return r.json().then(function (j) { window.location.replace(j.next); });
    });
  });
  // A select in the filter form applies at once.
  document.addEventListener("change", function (e) {
    var form = e.target.form;
    if (form && form.id === "filters" && e.target.tagName === "SELECT") { form.submit(); }
  });
})();
