// hookline console: the few things a page cannot do without a script.
"use strict";
// A field with a data-source (the signing key) is empty until shown or copied: its value is
// then asked for, with the page's CSRF token.
async function valueOf(field) {
  if (!field.dataset.source || field.dataset.loaded) return field.value;
  const csrf = document.querySelector('input[name="csrf"]').value;
  const answer = await fetch(field.dataset.source, {
    method: "POST",
    body: new URLSearchParams({ csrf }),
    credentials: "same-origin",
    cache: "no-store",
  });
  if (!answer.ok) throw new Error(`${answer.status}`);
  field.value = (await answer.json()).signingKey;
  field.dataset.loaded = "true";
  return field.value;
}
function copy(value, done) {
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(value).then(done);
  } else {
    const area = document.createElement("textarea");
    area.value = value;
    document.body.appendChild(area);
    area.select();
    document.execCommand("copy");
    area.remove();
    done();
  }
}
document.addEventListener("click", (event) => {
  const target = event.target.closest("button");
  if (!target) return;
  if (target.dataset.reveal) {
    const field = document.getElementById(target.dataset.reveal);
    const hidden = field.type === "password";
    valueOf(field).then(() => {
      field.type = hidden ? "text" : "password";
      target.textContent = hidden ? "Hide" : "Show";
    }, () => { target.textContent = "Could not load"; });
  } else if (target.dataset.copy) {
    valueOf(document.getElementById(target.dataset.copy)).then(
      (value) => copy(value, () => { target.textContent = "Copied"; }),
      () => { target.textContent = "Could not load"; },
    );
  } else if (target.id === "add-header") {
    const rows = document.getElementById("headers");
    const row = rows.querySelector(".header-row").cloneNode(true);
    row.querySelectorAll("input").forEach((input) => { input.value = ""; });
    rows.appendChild(row);
  } else if (target.classList.contains("remove-row")) {
    const row = target.closest(".header-row");
    if (document.querySelectorAll(".header-row").length > 1) row.remove();
    else row.querySelectorAll("input").forEach((input) => { input.value = ""; });
  }
});
// The synchronous call's options show only for a synchronous hook.
document.addEventListener("change", (event) => {
  if (event.target.id !== "mode") return;
  document.getElementById("sync-options").hidden = event.target.value !== "sync";
});
