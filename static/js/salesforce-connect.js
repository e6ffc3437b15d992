// "Authorize Salesforce" opens Salesforce's login in a popup; the popup's callback page
// reports back (BroadcastChannel and postMessage) and the connection panel reloads.
// With the popup blocked, the form simply submits in this tab.
(function () {
  "use strict";
  var CHANNEL = "lemontaps-salesforce-oauth";

  function announce(message) {
    var live = document.getElementById("oauth-live-message");
    if (live && message) { live.textContent = message; }
  }

  // The popup got a form error back (a wrong My Domain): show it at that field.
  function fieldError(name, message) {
    var form = document.getElementById("connect-form");
    var input = form && form.querySelector("[name='" + name + "']");
    if (!input) { announce(message); return; }
    var box = input.closest(".field") || input.parentNode;
    var id = input.id + "-error";
    var error = document.getElementById(id);
    if (!error) {
      error = document.createElement("p");
      error.className = "field-error";
      error.id = id;
      box.appendChild(error);
    }
    error.textContent = message;
    box.classList.add("has-error");
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", id);
    form.setAttribute("data-editing", "true");
    input.focus();
  }

  function done(data) {
    if (!data || data.type !== CHANNEL) { return; }
    if (data.status === "invalid" && data.field) {
      fieldError(data.field, data.message);
      return;
    }
    announce(data.message);
    document.body.dispatchEvent(new CustomEvent("salesforce-oauth-done", { bubbles: true }));
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var name = form.getAttribute("data-oauth-popup");
    if (!name) { return; }
    var popup = window.open("", name, "popup,width=560,height=720");
    var marker = form.querySelector("input[name='popup']");
    if (!marker) {
      marker = document.createElement("input");
      marker.type = "hidden";
      marker.name = "popup";
      form.appendChild(marker);
    }
    // The server answers a form error inside the popup differently (it reports back).
    marker.value = popup ? "1" : "";
    if (popup) {
      form.setAttribute("target", name);
    } else {
      form.removeAttribute("target");
    }
  }, true);

  // The panel refreshes itself every few seconds; not while the admin is filling in the
  // connect form or reading an error at its field.
  document.addEventListener("input", function (event) {
    var form = event.target.closest && event.target.closest("#connect-form");
    if (form) { form.setAttribute("data-editing", "true"); }
  });
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    var form = document.getElementById("connect-form");
    var poll = event.detail.requestConfig && event.detail.requestConfig.triggeringEvent;
    var oauthDone = poll && poll.type === "salesforce-oauth-done";
    if (elt && elt.id === "connection-panel" && form && form.hasAttribute("data-editing") &&
        !oauthDone) {
      event.preventDefault();
    }
  });

  if ("BroadcastChannel" in window) {
    new BroadcastChannel(CHANNEL).onmessage = function (event) { done(event.data); };
  }
  window.addEventListener("message", function (event) {
    if (event.origin === window.location.origin) { done(event.data); }
  });
})();
