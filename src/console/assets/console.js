/* global document, window */
// Tidemark console: the little that plain HTML forms and htmx do not do on their own.
(function () {
  'use strict';
  var meta = document.querySelector('meta[name="csrf-token"]');
  // Every htmx request carries the CSRF token, as every form does in a hidden field.
  document.addEventListener('htmx:configRequest', function (e) {
    if (meta) e.detail.headers['x-csrf-token'] = meta.getAttribute('content');
  });
  // An "All" checkbox (data-all="group") ticks every box of its group; unticking a box of the
  // group unticks "All" (the choice is then the boxes themselves).
  document.addEventListener('change', function (e) {
    var t = e.target;
    if (!t || !t.getAttribute) return;
    var group = t.getAttribute('data-all');
    if (group && t.checked) {
      document.querySelectorAll('input[data-group="' + group + '"]').forEach(function (b) { b.checked = true; });
    }
    var member = t.getAttribute('data-group');
    if (member && !t.checked) {
      document.querySelectorAll('input[data-all="' + member + '"]').forEach(function (b) { b.checked = false; });
    }
  });
  // Forms that ask before they act (deletions, reversals) without JavaScript still work: the
  // server asks on a page of its own when the confirmation field is missing.
  document.addEventListener('submit', function (e) {
    var f = e.target;
    var q = f && f.getAttribute && f.getAttribute('data-confirm');
    if (q && !window.confirm(q)) e.preventDefault();
  });
})();
