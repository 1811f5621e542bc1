// leadblock console: the little JavaScript the pages use. No inline script anywhere (CSP).
"use strict";

// A form with data-confirm asks before it is sent (remove, revoke). Asked while the event goes
// down to the form (capture), before htmx, which listens on the form itself, can send it.
document.addEventListener(
  "submit",
  (event) => {
    const form = event.target;
    const question = form.dataset && form.dataset.confirm;
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  },
  true,
);

// Forms that change something are sent by htmx and their answer's <main> replaces the page's
// (templates/post_form.html), so the page in the browser's history stays a GET: reloading never
// sends a form again. A failure (4xx, 5xx) is a page meant to be read, the typed text and the
// errors in it: it is swapped in too. An answer reached through a redirect (the form worked,
// or the session is over) is where the browser goes, as after a plain form post.
document.addEventListener("htmx:beforeSwap", (event) => {
  const {xhr, requestConfig} = event.detail;
  if (!requestConfig || requestConfig.verb !== "post") return;
  const sent = new URL(requestConfig.path, window.location.href);
  const answered = new URL(xhr.responseURL || sent.href);
  if (answered.pathname !== sent.pathname) {
    event.detail.shouldSwap = false;
    window.location.assign(answered.href);
  } else if (xhr.status >= 400) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});

// After a failure is swapped in, focus goes to the field to correct (or else to the message).
// On afterSwap, not afterSettle: the settle runs a moment later, and focus moving then would
// send what the user has started typing in another field into this one.
document.addEventListener("htmx:afterSwap", (event) => {
  const {xhr, requestConfig} = event.detail;
  if (!xhr || !requestConfig || requestConfig.verb !== "post" || xhr.status < 400) return;
  const main = document.getElementById("main");
  const field = main && main.querySelector('[aria-invalid="true"]');
  const alert = main && main.querySelector('[role="alert"]');
  if (field) {
    field.focus();
  } else if (alert) {
    alert.tabIndex = -1;
    alert.focus();
  }
});

// A form that could not reach the server says so next to itself (a plain form would show the
// browser's error page).
document.addEventListener("htmx:sendError", (event) => {
  const form = event.detail.elt;
  if (!(form instanceof HTMLFormElement)) return;
  let note = form.nextElementSibling;
  if (!note || !note.classList.contains("send-error")) {
    note = paragraph("", "error send-error");
    note.setAttribute("role", "alert");
    form.after(note);
  }
  note.textContent = "The console could not be reached; check the connection and send again.";
});

// A button with data-copy copies the value of the field it names.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const field = document.getElementById(button.dataset.copy);
  const status = document.getElementById("copy-status");
  field.select();
  try {
    await navigator.clipboard.writeText(field.value);
    status.textContent = "Copied.";
  } catch {
    status.textContent = "Press Ctrl+C (⌘C) to copy the selected key.";
  }
});

// CSV import: send the file as the body, read the answer line by line as it streams,
// move the progress bar, then show the outcome or every bad row.
function setupImport() {
  const form = document.getElementById("import-form");
  if (!form) return;
  const box = document.getElementById("import-progress-box");
  const bar = document.getElementById("import-progress");
  const phase = document.getElementById("import-phase");
  const result = document.getElementById("import-result");
  const button = form.querySelector("button");

  const show = (report) => {
    if (report.percent !== undefined) {
      bar.value = report.percent;
      bar.textContent = `${report.percent}%`;
      phase.textContent = report.phase === "validating" ? "Checking rows…" : "Blocking…";
    }
    if (report.done) {
      bar.value = 100;
      phase.textContent = "Done";
      const done = report.done;
      result.replaceChildren(paragraph(
        `Imported ${done.rows.toLocaleString()} rows: ${done.blocked.toLocaleString()} blocked, ` +
        `${done.alreadyBlocked.toLocaleString()} already blocked, ` +
        `${done.duplicates.toLocaleString()} duplicates.`, "notice"));
    }
    if (report.error) {
      box.hidden = true;  // an empty or half bar would suggest something was written
      const children = [paragraph(report.error, "error")];
      if (report.rows && report.rows.length) {
        children.push(errorTable(report.rows));
      }
      result.replaceChildren(...children);
    }
  };

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const file = document.getElementById("import-file").files[0];
    if (!file) return;
    button.disabled = true;
    box.hidden = false;
    bar.value = 0;
    phase.textContent = "Uploading…";
    result.replaceChildren();
    try {
      const response = await fetch(form.action, {
        method: "POST",
        body: file,
        headers: {"content-type": "text/csv", "x-csrf-token": form.dataset.csrf},
        credentials: "same-origin",
      });
      if (!response.ok || !response.body) {
        show({error: `The import was refused (HTTP ${response.status}).`});
        return;
      }
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let pending = "";
      for (;;) {
        const {value, done} = await reader.read();
        if (done) break;
        pending += value;
        const lines = pending.split("\n");
        pending = lines.pop();
        for (const line of lines) {
          if (line) show(JSON.parse(line));
        }
      }
    } catch (error) {
      show({error: `The import could not finish: ${error.message}`});
    } finally {
      button.disabled = false;
    }
  });
}

function paragraph(text, className) {
  const p = document.createElement("p");
  p.className = className;
  p.textContent = text;
  return p;
}

function errorTable(rows) {
  const wrap = document.createElement("div");
  wrap.className = "table-wrap";
  const table = document.createElement("table");
  table.id = "import-errors";
  const head = table.createTHead().insertRow();
  for (const title of ["Row", "Value", "Problem"]) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = title;
    head.appendChild(th);
  }
  const body = table.createTBody();
  // As the server's tables: labels and widths for the cards narrow screens show (console.css).
  const cells = [["Row", "nowrap"], ["Value", "wide"], ["Problem", "wide"]];
  for (const row of rows) {
    const tr = body.insertRow();
    [String(row.row), row.value, row.message].forEach((text, index) => {
      const td = tr.insertCell();
      td.textContent = text;
      td.dataset.label = cells[index][0];
      td.className = cells[index][1];
    });
  }
  wrap.appendChild(table);
  return wrap;
}

setupImport();
