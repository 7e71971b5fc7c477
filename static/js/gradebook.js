/*
 * gradebook.js: spreadsheet behaviour for the server-rendered grade tables (the secondary grid of
 * grades/entry_grid.html and the primary grid). No framework and no build step (ES2017). The server parses
 * and validates everything ("7,5" is sent as typed); this file only moves the focus, sends what was typed
 * and shows what the server answered.
 *
 * Stable selectors (the contract; templates and browser tests rely on them):
 *   table.gradebook-grid[data-save-url]       a grid; without data-save-url it is read-only (keys move only)
 *   .cell[data-row][data-col][data-version]   an editable cell, <input> or <textarea>, inside a <td>
 *   .cell[data-history-url]                   the cell has a history (grades/scores/<pk>/history/)
 *   [data-row-value][data-field]              a computed cell, filled from the save response's "rows"
 *   [data-grid-status]                        the status bar (in the grid's .card, else anywhere on the page)
 *   [data-grid-history]                       where a cell's history (an HTML fragment) is shown
 *   [data-grid-history-button]                shows the history of the last focused cell
 *   #gradebook-messages                       optional JSON (json_script) of UI texts, overriding the defaults
 *   .cell-note                                made here next to an invalid or conflicting cell
 * Classes set on cells: is-dirty (typed, not confirmed yet), is-saved (briefly), is-invalid, is-conflict.
 * CSRF: the page's hidden csrfmiddlewaretoken input ({% csrf_token %}), else <meta name="csrf-token">, else
 * the csrftoken cookie; sent as the X-CSRFToken header.
 * Keys: arrows move (left/right only when the caret is at the edge or the whole text is selected); Enter and
 * Shift+Enter move down and up; Tab is the browser's; Escape puts back the last saved value; Alt+H or a
 * double-click shows the cell's history. In a textarea (comments) Enter is a new line and the arrows move the
 * caret, so moving between cells there needs Alt (Alt+arrows, Alt+Enter).
 * Paste: a block copied from Excel (rows by newline, cells by tab) fills from the focused cell right and
 * down and is saved in one request; in a textarea only a block with a tab counts (a multi-line comment is
 * pasted as text).
 * Saving: each change is sent at once; requests go one at a time so that a cell's version is always the one
 * the server gave last; a cell that could not be sent (network, 400) stays dirty and goes with the next save.
 */
(function () {
  "use strict";

  const DEFAULT_TEXT = {
    saving: "Đang lưu…",
    saved: "Đã lưu.",
    invalid: "Có ô chưa hợp lệ, chưa được lưu: xem lý do bên cạnh ô.",
    conflict: "Có ô vừa được người khác sửa: hãy chọn giữ giá trị nào.",
    offline: "Mất kết nối: các ô chưa lưu sẽ được gửi lại ở lần sửa tiếp theo.",
    failed: "Không lưu được (lỗi máy chủ); các ô vẫn giữ giá trị bạn đã nhập.",
    useMine: "Dùng giá trị của tôi",
    takeTheirs: "Lấy giá trị mới",
    noHistory: "Ô này chưa được lưu lần nào nên chưa có lịch sử.",
    chooseCell: "Hãy chọn một ô trong bảng trước.",
    loading: "Đang tải…",
  };
  const MOVES = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
  let noteCount = 0;

  function uiText() {
    const node = document.getElementById("gradebook-messages");
    let custom = {};
    try {
      custom = node ? JSON.parse(node.textContent) : {};
    } catch (error) {
      custom = {}; // a broken override must not break the grid: the defaults are Vietnamese already
    }
    return Object.assign({}, DEFAULT_TEXT, custom);
  }

  function csrfToken() {
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (input) return input.value;
    const meta = document.querySelector("meta[name=csrf-token]");
    if (meta) return meta.content;
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function isCell(node) {
    return node instanceof HTMLElement && node.classList.contains("cell") && node.dataset.col !== undefined;
  }

  function editable(cell) {
    return !cell.readOnly && !cell.disabled;
  }

  // Excel copies a block as lines of tab-separated cells; a cell holding a tab, a newline or a quote is
  // wrapped in quotes, with quotes inside doubled.
  function parseBlock(text) {
    const rows = [];
    let row = [];
    let cell = "";
    let quoted = false;
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
      if (quoted) {
        if (ch === '"' && text[i + 1] === '"') {
          cell += '"';
          i++;
        } else if (ch === '"') {
          quoted = false;
        } else {
          cell += ch;
        }
      } else if (ch === '"' && cell === "") {
        quoted = true;
      } else if (ch === "\t") {
        row.push(cell);
        cell = "";
      } else if (ch === "\n" || ch === "\r") {
        if (ch === "\r" && text[i + 1] === "\n") i++;
        row.push(cell);
        rows.push(row);
        row = [];
        cell = "";
      } else {
        cell += ch;
      }
    }
    if (cell !== "" || row.length) {
      row.push(cell);
      rows.push(row);
    }
    return rows;
  }

  // Left/right leave the cell only when the caret cannot move further that way, or when the whole text is
  // selected (as it is right after arriving in a cell): otherwise they edit the text as usual.
  function atEdge(cell, step) {
    const start = cell.selectionStart;
    const end = cell.selectionEnd;
    const length = cell.value.length;
    if (start === null || (start === 0 && end === length)) return true;
    return step < 0 ? start === 0 && end === 0 : start === length && end === length;
  }

  class Grid {
    constructor(table, text) {
      this.table = table;
      this.text = text;
      this.saveUrl = table.dataset.saveUrl || "";
      const scope = table.closest(".card") || document;
      this.status = scope.querySelector("[data-grid-status]") || document.querySelector("[data-grid-status]");
      this.historyBox = scope.querySelector("[data-grid-history]");
      this.pending = new Set(); // cells typed and not yet sent (or whose sending failed)
      this.saved = new WeakMap(); // cell → the text the server last confirmed (Escape goes back to it)
      this.sent = new WeakMap(); // cell → the text last sent (to tell whether the user typed again since)
      this.busy = false;
      this.again = false;
      this.flying = new Set(); // the cells of the request in flight
      this.last = null; // the last focused cell, for the history button
      table.querySelectorAll(".cell").forEach((cell) => this.saved.set(cell, cell.value));
      table.addEventListener("keydown", (event) => this.onKey(event));
      table.addEventListener("change", (event) => isCell(event.target) && this.edited(event.target));
      table.addEventListener("input", (event) => {
        const cell = event.target;
        if (isCell(cell)) cell.classList.toggle("is-dirty", cell.value !== this.saved.get(cell));
      });
      table.addEventListener("paste", (event) => this.onPaste(event));
      table.addEventListener("focusin", (event) => {
        const cell = event.target;
        if (!isCell(cell)) return;
        this.last = cell;
        if (cell.tagName === "INPUT") cell.select(); // typing replaces the value, as in a spreadsheet
      });
      table.addEventListener("dblclick", (event) => isCell(event.target) && this.showHistory(event.target));
      const button = scope.querySelector("[data-grid-history-button]");
      if (button) button.addEventListener("click", () => this.showHistory(this.last));
      window.addEventListener("beforeunload", (event) => {
        if (this.pending.size || this.busy) event.preventDefault(); // unsaved cells: let the browser ask
      });
    }

    matrix() {
      return Array.from(this.table.querySelectorAll("tbody tr"))
        .map((tr) => Array.from(tr.querySelectorAll(".cell")))
        .filter((cells) => cells.length);
    }

    position(cell) {
      const rows = this.matrix();
      const r = rows.findIndex((cells) => cells.includes(cell));
      return { rows, r, c: r < 0 ? -1 : rows[r].indexOf(cell) };
    }

    move(cell, dRow, dCol) {
      const { rows, r, c } = this.position(cell);
      if (r < 0) return;
      let target = null;
      if (dCol) target = rows[r][c + dCol];
      if (dRow && rows[r + dRow]) {
        const next = rows[r + dRow];
        target = next.find((other) => other.dataset.col === cell.dataset.col) || next[Math.min(c, next.length - 1)];
      }
      if (target) target.focus();
    }

    onKey(event) {
      const cell = event.target;
      if (!isCell(cell)) return;
      const area = cell.tagName === "TEXTAREA";
      if (event.key === "Escape") {
        this.revert(cell);
        event.preventDefault();
        return;
      }
      if (event.altKey && event.code === "KeyH") {
        this.showHistory(cell);
        event.preventDefault();
        return;
      }
      if (area && !event.altKey) return;
      if (event.key === "Enter") {
        this.edited(cell); // some browsers fire no change event on Enter: save before moving on
        this.move(cell, event.shiftKey ? -1 : 1, 0);
        event.preventDefault();
        return;
      }
      const step = MOVES[event.key];
      if (!step || event.ctrlKey || event.metaKey || event.shiftKey) return;
      if (step[1] && !area && !atEdge(cell, step[1])) return;
      this.move(cell, step[0], step[1]);
      event.preventDefault();
    }

    onPaste(event) {
      const cell = event.target;
      if (!isCell(cell) || !this.saveUrl || !editable(cell)) return;
      const text = (event.clipboardData || window.clipboardData).getData("text");
      const block = cell.tagName === "TEXTAREA" ? /\t/.test(text) : /[\t\r\n]/.test(text);
      if (!block) return; // one value: the browser pastes it and the change event saves it
      event.preventDefault();
      const { rows, r, c } = this.position(cell);
      parseBlock(text).forEach((values, i) => {
        const row = rows[r + i];
        if (!row) return;
        values.forEach((value, j) => {
          const target = row[c + j];
          if (!target || !editable(target)) return;
          target.value = target.tagName === "TEXTAREA" ? value : value.trim();
          if (target.value !== this.saved.get(target) || target.classList.contains("is-invalid")) {
            target.classList.add("is-dirty");
            this.pending.add(target);
          }
        });
      });
      this.flush();
    }

    edited(cell) {
      if (!this.saveUrl || !editable(cell)) return;
      if (cell.value === this.saved.get(cell)) {
        this.clearMarks(cell); // typed back the saved value: nothing to send
        cell.classList.remove("is-dirty");
        this.pending.delete(cell);
        return;
      }
      // Enter saves, then the blur that follows fires change again: the same text, sent or answered, once.
      const answered = cell.classList.contains("is-invalid") || cell.classList.contains("is-conflict");
      if ((answered || this.flying.has(cell)) && cell.value === this.sent.get(cell)) return;
      cell.classList.add("is-dirty");
      this.pending.add(cell);
      this.flush();
    }

    revert(cell) {
      if (!editable(cell)) return;
      cell.value = this.saved.get(cell) || "";
      this.clearMarks(cell);
      cell.classList.remove("is-dirty");
      this.pending.delete(cell);
      if (cell.tagName === "INPUT") cell.select();
    }

    async flush() {
      if (this.busy) {
        this.again = true; // one request at a time: the next one carries the versions this one returns
        return;
      }
      if (!this.pending.size) return;
      const batch = Array.from(this.pending);
      this.pending.clear();
      this.busy = true;
      this.flying = new Set(batch);
      const cells = batch.map((cell) => {
        this.sent.set(cell, cell.value);
        const version = cell.dataset.version;
        return {
          student_id: Number(cell.dataset.row),
          column: cell.dataset.col,
          text: cell.value,
          version: version === "" || version === undefined ? null : Number(version),
        };
      });
      this.say(this.text.saving);
      try {
        const response = await fetch(this.saveUrl, {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
          body: JSON.stringify({ cells }),
        });
        const data = await response.json().catch(() => null);
        if (response.ok && data && Array.isArray(data.cells)) {
          this.apply(data);
        } else {
          this.keep(batch);
          this.say((data && data.error) || this.text.failed, true);
        }
      } catch (error) {
        this.keep(batch);
        this.say(this.text.offline, true);
      } finally {
        this.busy = false;
        this.flying.clear();
        if (this.again) {
          this.again = false;
          this.flush();
        }
      }
    }

    keep(batch) {
      batch.forEach((cell) => this.pending.add(cell)); // sent again with the next change
    }

    find(row, column) {
      const selector = `.cell[data-row="${CSS.escape(String(row))}"][data-col="${CSS.escape(String(column))}"]`;
      return this.table.querySelector(selector);
    }

    apply(data) {
      let invalid = 0;
      let conflicts = 0;
      data.cells.forEach((result) => {
        const cell = this.find(result.student_id, result.column);
        if (!cell) return;
        const unchangedSince = cell.value === this.sent.get(cell); // the user has not typed again meanwhile
        if (result.history_url) cell.dataset.historyUrl = result.history_url;
        if (result.status === "saved" || result.status === "unchanged") {
          cell.dataset.version = result.version === null || result.version === undefined ? "" : result.version;
          this.saved.set(cell, result.text);
          if (!unchangedSince) return;
          this.clearMarks(cell);
          cell.value = result.text; // the server's spelling: "7.5" → "7,5", "cd" → "CĐ"
          cell.classList.remove("is-dirty");
          if (result.status === "saved") this.flash(cell);
        } else if (result.status === "conflict") {
          conflicts++;
          this.conflict(cell, result);
        } else if (unchangedSince) {
          invalid++;
          this.mark(cell, "is-invalid", result.reason);
        }
      });
      Object.entries(data.rows || {}).forEach(([row, fields]) => {
        Object.entries(fields).forEach(([name, value]) => {
          const selector = `[data-row-value="${CSS.escape(row)}"][data-field="${CSS.escape(name)}"]`;
          this.table.querySelectorAll(selector).forEach((node) => {
            node.textContent = value === null || value === undefined ? "" : value;
          });
        });
      });
      if (conflicts) this.say(this.text.conflict, true);
      else if (invalid) this.say(this.text.invalid, true);
      else this.say(this.text.saved);
    }

    // Someone else saved the cell first: keep what this user typed until they choose.
    conflict(cell, result) {
      const note = this.mark(cell, "is-conflict", result.reason);
      const choose = (label, action) => {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "link";
        button.textContent = label;
        button.addEventListener("click", () => {
          action();
          cell.focus();
        });
        note.append(" ", button);
      };
      const theirVersion = result.version === null || result.version === undefined ? "" : result.version;
      choose(this.text.useMine, () => {
        cell.dataset.version = theirVersion; // overwrite knowingly: send again against their version
        this.clearMarks(cell);
        this.pending.add(cell);
        this.flush();
      });
      choose(this.text.takeTheirs, () => {
        cell.dataset.version = theirVersion;
        cell.value = result.text;
        this.saved.set(cell, result.text);
        this.clearMarks(cell);
        cell.classList.remove("is-dirty");
        this.pending.delete(cell);
      });
    }

    mark(cell, name, reason) {
      this.clearMarks(cell);
      cell.classList.add(name);
      cell.setAttribute("aria-invalid", "true");
      cell.title = reason || "";
      const note = document.createElement("span");
      note.className = "cell-note";
      note.id = `cell-note-${++noteCount}`;
      note.setAttribute("role", "alert");
      note.textContent = reason || "";
      cell.setAttribute("aria-describedby", note.id);
      cell.parentNode.appendChild(note);
      return note;
    }

    clearMarks(cell) {
      cell.classList.remove("is-invalid", "is-conflict");
      cell.removeAttribute("aria-invalid");
      cell.removeAttribute("aria-describedby");
      cell.removeAttribute("title");
      cell.parentNode.querySelectorAll(".cell-note").forEach((note) => note.remove());
    }

    flash(cell) {
      cell.classList.add("is-saved");
      setTimeout(() => cell.classList.remove("is-saved"), 1200);
    }

    say(message, problem) {
      if (!this.status) return;
      this.status.textContent = message;
      this.status.classList.toggle("is-problem", Boolean(problem));
    }

    async showHistory(cell) {
      if (!cell) {
        this.say(this.text.chooseCell, true);
        return;
      }
      const url = cell.dataset.historyUrl;
      if (!this.historyBox) {
        if (url) window.location.href = url;
        return;
      }
      if (!url) {
        this.historyBox.textContent = this.text.noHistory;
        return;
      }
      this.historyBox.textContent = this.text.loading;
      try {
        // HX-Request asks the server for the fragment instead of the full page.
        const response = await fetch(url, { credentials: "same-origin", headers: { "HX-Request": "true" } });
        if (!response.ok) throw new Error(String(response.status));
        this.historyBox.innerHTML = await response.text();
      } catch (error) {
        this.historyBox.textContent = this.text.offline;
      }
    }
  }

  function init(root) {
    const text = uiText();
    const tables = root.matches && root.matches("table.gradebook-grid") ? [root] : root.querySelectorAll("table.gradebook-grid");
    tables.forEach((table) => {
      if (table.dataset.gridReady) return; // already set up (a fragment swapped in again)
      table.dataset.gridReady = "1";
      new Grid(table, text);
    });
  }

  init(document);
  // Grids rendered later by HTMX (e.g. a fragment swapped in) get the same behaviour.
  document.addEventListener("htmx:load", (event) => init(event.target));
})();
