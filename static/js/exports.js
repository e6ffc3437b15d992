// Export UI: opens the details panel and the push dialog (<dialog>, filled by htmx), moves
// focus in and back, enables the "Salesforce" button when something is selected, and closes
// the push dialog once a push started. A static file: the CSP forbids inline scripts.
(function () {
  "use strict";

  var DIALOGS = { "export-panel-body": "export-panel", "push-dialog-body": "push-dialog" };
  var openers = {};

  function dialogFor(target) {
    var id = target && DIALOGS[target.id];
    return id ? document.getElementById(id) : null;
  }

  // Remember what opened a dialog, by id when it has one: the poll may replace the element.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var dialog = dialogFor(event.detail.target);
    if (!dialog || dialog.open) return;
    var elt = event.detail.elt;
    openers[dialog.id] = elt && elt.id ? elt.id : elt;
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var dialog = dialogFor(event.detail.target);
    if (!dialog) return;
    if (!dialog.open) {
      if (typeof dialog.showModal === "function") dialog.showModal();
      else dialog.setAttribute("open", "");
    }
    var focus = dialog.querySelector("[data-autofocus]") || dialog.querySelector("button, a[href]");
    if (focus) focus.focus();
  });

  function restoreFocus(dialog) {
    var opener = openers[dialog.id];
    delete openers[dialog.id];
    if (typeof opener === "string") opener = document.getElementById(opener);
    if (opener && document.body.contains(opener) && typeof opener.focus === "function") {
      opener.focus();
    }
  }

  Object.keys(DIALOGS).forEach(function (bodyId) {
    var dialog = document.getElementById(DIALOGS[bodyId]);
    if (!dialog) return;
    dialog.addEventListener("close", function () { restoreFocus(dialog); });
    // A click on the backdrop (the dialog element itself) closes it too.
    dialog.addEventListener("click", function (event) {
      if (event.target === dialog) dialog.close();
    });
  });

  document.addEventListener("click", function (event) {
    var closer = event.target.closest && event.target.closest("[data-close-dialog]");
    if (closer) {
      var dialog = closer.closest("dialog");
      if (dialog && dialog.open) dialog.close();
      return;
    }
    var showNew = event.target.closest && event.target.closest("[data-show-new]");
    if (showNew) {
      var table = document.getElementById("contact-table");
      if (table && table.dataset.firstPage) {
        event.preventDefault();
        window.location.assign(table.dataset.firstPage);
      }
    }
  });

  // Escape in a browser without <dialog> support.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    Object.keys(DIALOGS).forEach(function (bodyId) {
      var dialog = document.getElementById(DIALOGS[bodyId]);
      if (dialog && dialog.open && typeof dialog.showModal !== "function") {
        dialog.removeAttribute("open");
        restoreFocus(dialog);
      }
    });
  });

  // The push dialog closes once the push started; its progress bar shows above the table.
  document.body.addEventListener("push-started", function () {
    var dialog = document.getElementById("push-dialog");
    if (dialog && dialog.open) {
      window.setTimeout(function () { if (dialog.open) dialog.close(); }, 1200);
    }
  });

  // A dismissed bar is gone: keep the keyboard focus in the progress region.
  document.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail.elt;
    if (elt && elt.matches && elt.matches("form[hx-post*='/dismiss']") && event.detail.successful) {
      var region = document.getElementById("push-progress");
      if (region) region.focus();
    }
  });

  // The filter counts ("In progress 5", "Exported 0") come with the page; when a push bar
  // turns finished, ask for them again (the table's #filters-refresh listens for this).
  // htmx:load fires for every piece of content htmx puts in the page, out-of-band bars
  // included (the poller itself may have been replaced by then, so not htmx:afterRequest).
  // The automatic line keeps its id; data-round tells a later round of it apart.
  var finished = {};
  var FINISHED = "section.push-bar[data-finished='true'], #push-auto[data-finished='true']";
  function finishedKey(elt) { return elt.id + ":" + (elt.getAttribute("data-round") || ""); }
  document.addEventListener("htmx:load", function (event) {
    var elt = event.detail.elt;
    if (!elt || !elt.querySelectorAll) return;
    if (elt.matches(FINISHED)) {
      if (finished[finishedKey(elt)]) return;
      finished[finishedKey(elt)] = true;
      window.setTimeout(function () {
        document.body.dispatchEvent(new CustomEvent("export-counts-stale", { bubbles: true }));
      }, 0);
      return;
    }
    // A whole page or table: what is finished there is counted already.
    elt.querySelectorAll(FINISHED).forEach(function (bar) { finished[finishedKey(bar)] = true; });
  });

  function syncPushButton() {
    var button = document.getElementById("push-open");
    if (!button) return;
    var form = document.getElementById("contact-selection");
    var any = form && (form.querySelector("input.row-select:checked") ||
                       form.querySelector("#select-all-matching:checked"));
    button.disabled = !any;
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!(target instanceof HTMLInputElement)) return;
    if (target.id === "select-all-matching" && target.checked) {
      document.querySelectorAll("#contact-selection input.row-select").forEach(function (box) {
        box.checked = true;
      });
      var header = document.getElementById("select-page");
      if (header) { header.checked = true; header.indeterminate = false; }
    }
    if (target.classList.contains("row-select") && !target.checked) {
      var all = document.getElementById("select-all-matching");
      if (all) all.checked = false;
    }
    if (target.classList.contains("select-page") && !target.checked) {
      var allBox = document.getElementById("select-all-matching");
      if (allBox) allBox.checked = false;
    }
    // contacts.js handles the header checkbox in the same event; read the result after it.
    window.setTimeout(syncPushButton, 0);
  });

  document.addEventListener("htmx:afterSettle", syncPushButton);
  window.addEventListener("pageshow", syncPushButton);
  document.addEventListener("DOMContentLoaded", syncPushButton);
})();
