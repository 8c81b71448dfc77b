/* The counter page: a keyboard-first client of the Terminal API (/api/v1).
 *
 * The till's key is in an HttpOnly cookie; every call carries the page's CSRF token.
 * Scanners type like a keyboard and press Enter, sometimes twice (the seed's 输入券确认后又多敲回车):
 * an Enter while a request is in flight or right behind another Enter is dropped, and a
 * redemption reuses one Idempotency-Key per prepared code, so a confirm sent again (say after
 * a lost answer) replays the first answer instead of redeeming twice.
 */
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const TEXT = JSON.parse($("texts").textContent);
  const CSRF = document.querySelector('meta[name="csrf-token"]').content;
  const LANG = document.documentElement.lang === "en" ? "en" : "zh-CN";
  const ORDER_KEY = "vb_cashier_order";
  // A scanner sends its Enters within a few ms of each other; nobody reads the prepared value
  // that fast, so an Enter this close to the previous one never confirms anything.
  const SCANNER_BURST_MS = 150;
  // And an Enter that confirms comes from a person who has seen the value: a scanner's extra
  // Enter that lands just after a fast prepare answer (however slow the scanner) is not one.
  const READ_MS = 250;
  let lastEnterAt = -Infinity;
  let typedSinceEnter = false;

  const state = {
    busy: false,
    order: null,
    prepared: null, // {code, body, idemKey, shownAt}
    draft: [],
  };

  function say(template, params) {
    return template.replace(/\{(\w+)\}/g, (_, k) => (k in params ? params[k] : ""));
  }
  // Integer fen to "184.00" by integer arithmetic: never a float near money, even in a box.
  function yuan(fen) {
    const sign = fen < 0 ? "-" : "";
    const abs = Math.abs(fen);
    return sign + Math.floor(abs / 100) + "." + String(abs % 100).padStart(2, "0");
  }
  // "184", "184.5", "184.50" (full-width digits too) to integer fen by string arithmetic;
  // null for anything else, so a typo is refused rather than rounded.
  function parseYuan(text) {
    const plain = text
      .replace(/[\uFF10-\uFF19\uFF0E]/g, (ch) => String.fromCharCode(ch.charCodeAt(0) - 0xfee0))
      .trim();
    if (plain === "") return 0;
    const match = /^(\d{1,9})(?:\.(\d{0,2}))?$/.exec(plain);
    if (!match) return null;
    return Number(match[1]) * 100 + Number((match[2] || "").padEnd(2, "0"));
  }
  function money(fen) {
    return (fen < 0 ? "-" : "") + say(TEXT.fen, { yuan: yuan(Math.abs(fen)) });
  }
  function label(prefix, value) {
    return TEXT[prefix + "." + value] || value;
  }

  // Chinese IME in full-width mode turns "A123" into "Ａ１２３"; codes are plain ASCII.
  function normalise(raw) {
    return raw
      .replace(/[\uFF01-\uFF5E]/g, (ch) => String.fromCharCode(ch.charCodeAt(0) - 0xfee0))
      .replace(/[\s\u3000]+/g, "");
  }

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "k" + Date.now() + "-" + Math.random().toString(16).slice(2);
  }

  // --- messages ---------------------------------------------------------------------------
  function showError(message) {
    const banner = $("banner");
    banner.textContent = message;
    banner.hidden = false;
  }
  function clearError() {
    $("banner").hidden = true;
    $("banner").textContent = "";
  }
  function showDone(message) {
    const done = $("done");
    done.textContent = message;
    done.hidden = !message;
  }
  function focusScan() {
    const scan = $("scan");
    scan.focus();
    scan.select();
  }

  // --- API ----------------------------------------------------------------------------------
  async function api(method, path, body, extraHeaders) {
    const headers = Object.assign(
      { "X-CSRF-Token": CSRF, "Accept-Language": LANG, Accept: "application/json" },
      extraHeaders || {}
    );
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(path, {
        method: method,
        headers: headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "same-origin",
      });
    } catch (err) {
      throw new Error(TEXT.network);
    }
    if (response.status === 401) {
      window.location.href = "/cashier/login";
      throw new Error("");
    }
    if (!response.ok) {
      let message = TEXT.network;
      try {
        message = (await response.json()).error.message;
      } catch (err) {
        /* not our envelope: keep the generic text */
      }
      throw new Error(message);
    }
    return response;
  }

  // One request at a time: the busy flag is what makes a scanner's second Enter harmless.
  async function run(action) {
    if (state.busy) return;
    state.busy = true;
    document.body.classList.add("busy");
    try {
      await action();
    } catch (err) {
      if (err.message) showError(err.message);
    } finally {
      state.busy = false;
      document.body.classList.remove("busy");
      focusScan();
    }
  }

  // --- order --------------------------------------------------------------------------------
  function renderOrder() {
    const order = state.order;
    $("order").hidden = !order;
    $("no-order").hidden = !!order;
    $("order-no").textContent = order ? order.order_no : "";
    if (!order) return;
    $("lines").replaceChildren(
      ...order.lines.map((ln) => {
        const tr = document.createElement("tr");
        for (const text of [ln.name, ln.quantity + ln.unit, money(ln.amount_fen)]) {
          const td = document.createElement("td");
          td.textContent = text;
          tr.appendChild(td);
        }
        return tr;
      })
    );
    $("service-fee").textContent = money(order.service_fee_fen);
    $("total").textContent = money(order.total_fen);
    $("discount").textContent = money(order.discount_fen);
    $("due").textContent = money(order.due_fen);
    $("vouchers").replaceChildren(...order.vouchers.map(voucherRow));
    const open = order.status === "open";
    $("checkout").hidden = !open;
    $("receipt-tools").hidden = open;
    if (open && document.activeElement !== $("amount")) {
      $("amount").value = yuan(order.due_fen);
    }
  }

  function minutesLeft(redemption) {
    const until = Date.parse(redemption.reversible_until);
    return Math.floor((until - Date.now()) / 60000);
  }

  function voucherRow(v) {
    const li = document.createElement("li");
    li.className = "voucher";
    const what = document.createElement("span");
    what.textContent = v.name + " · " + v.code + " · " + money(-v.discount_fen);
    li.appendChild(what);
    if (v.status === "reversed" || v.reversed_at) {
      li.classList.add("reversed");
      const note = document.createElement("span");
      note.className = "window";
      note.textContent = TEXT.reversed;
      li.appendChild(note);
      return li;
    }
    const left = minutesLeft(v);
    const note = document.createElement("span");
    note.className = "window";
    note.textContent = left >= 0 ? say(TEXT.minutes_left, { n: left }) : TEXT.window_over;
    li.appendChild(note);
    if (state.order && state.order.status === "open") {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "reverse";
      button.dataset.id = v.id;
      button.innerHTML = "";
      button.append(TEXT.reverse + " ");
      const kbd = document.createElement("kbd");
      kbd.textContent = "F4";
      button.appendChild(kbd);
      button.addEventListener("click", () => reverse(v));
      li.appendChild(button);
    }
    return li;
  }

  async function loadOrder(id) {
    const response = await api("GET", "/api/v1/orders/" + id);
    state.order = await response.json();
    renderOrder();
  }

  function openOrder() {
    run(async () => {
      clearError();
      showDone("");
      cancelPrepare();
      const lines = state.draft.length ? state.draft : null;
      const body = lines
        ? { lines: lines, service_fee_fen: 0 }
        : JSON.parse($("demo-order").textContent);
      const response = await api("POST", "/api/v1/orders", body);
      state.order = await response.json();
      sessionStorage.setItem(ORDER_KEY, String(state.order.id));
      state.draft = [];
      renderDraft();
      $("change").hidden = true;
      $("receipt").hidden = true;
      renderOrder();
    });
  }

  function renderDraft() {
    $("draft").replaceChildren(
      ...state.draft.map((ln) => {
        const li = document.createElement("li");
        li.textContent = ln.name + " × " + ln.quantity;
        return li;
      })
    );
  }

  function addItem(button) {
    const code = button.dataset.code;
    const line = state.draft.find((ln) => ln.item_code === code);
    if (line) line.quantity += 1;
    else
      state.draft.push({
        item_code: code,
        name: button.dataset.name,
        unit: button.dataset.unit,
        quantity: 1,
        unit_price_fen: Number(button.dataset.price),
      });
    renderDraft();
  }

  // --- scan: prepare, confirm -------------------------------------------------------------
  function cancelPrepare() {
    state.prepared = null;
    $("prepare").hidden = true;
  }

  function showPrepared(code, body) {
    state.prepared = { code: code, body: body, idemKey: newKey(), shownAt: performance.now() };
    $("prepare-title").textContent = body.platform_title || body.name;
    const meta = [label("platform", body.platform), label("kind", body.kind), code];
    if (body.available_count && body.available_count > 1) {
      meta.push(say(TEXT.count, { n: body.available_count }));
    }
    $("prepare-meta").textContent = meta.join(" · ");
    $("prepare-value").textContent = say(TEXT.discount, { amount: money(body.discount_fen) });
    $("prepare").hidden = false;
  }

  function prepare(code) {
    run(async () => {
      clearError();
      showDone("");
      cancelPrepare();
      if (!state.order || state.order.status !== "open") throw new Error(TEXT.need_order);
      const response = await api("POST", "/api/v1/vouchers/prepare", {
        code: code,
        order_id: state.order.id,
      });
      showPrepared(code, await response.json());
      $("scan").value = "";
    });
  }

  function confirm() {
    const prepared = state.prepared;
    if (!prepared) return;
    run(async () => {
      clearError();
      // The same key for every confirm of this prepared code: a repeat gets the first answer.
      const response = await api(
        "POST",
        "/api/v1/redemptions",
        { code: prepared.code, order_id: state.order.id },
        { "Idempotency-Key": prepared.idemKey }
      );
      const redemption = await response.json();
      if (state.prepared === prepared) cancelPrepare();
      $("scan").value = "";
      showDone(
        say(TEXT.redeemed, { name: redemption.name, amount: money(redemption.discount_fen) })
      );
      await loadOrder(state.order.id);
    });
  }

  function onScanEnter() {
    const code = normalise($("scan").value);
    if (state.prepared && (!code || code === state.prepared.code)) {
      if (performance.now() - state.prepared.shownAt < READ_MS) return;
      confirm();
    } else if (code) {
      prepare(code);
    }
    // An Enter on an empty box with nothing prepared is the scanner's extra Enter: ignore it.
  }

  // --- reverse, checkout, receipt ----------------------------------------------------------
  function reverse(v) {
    run(async () => {
      clearError();
      const response = await api("POST", "/api/v1/redemptions/" + v.id + "/reverse", {});
      const reversed = await response.json();
      showDone(say(TEXT.reversed_ok, { name: reversed.name }));
      await loadOrder(state.order.id);
    });
  }

  function reverseLast() {
    if (!state.order) return;
    const live = state.order.vouchers.filter((v) => v.status !== "reversed" && !v.reversed_at);
    if (live.length) reverse(live[live.length - 1]);
  }

  function checkout() {
    if (!state.order || state.order.status !== "open") return;
    run(async () => {
      clearError();
      const type = $("tender").value;
      const amount = parseYuan($("amount").value);
      if (amount === null) throw new Error(TEXT.bad_amount);
      const tenders = [];
      if (amount > 0) {
        const tender = { type: type, amount_fen: amount };
        if (type === "member_card") tender.member = { card_no: $("card-no").value.trim() || "-" };
        tenders.push(tender);
      }
      const response = await api("POST", "/api/v1/orders/" + state.order.id + "/checkout", {
        tenders: tenders,
      });
      state.order = await response.json();
      renderOrder();
      const change = $("change");
      change.textContent =
        TEXT.checked_out +
        (state.order.change_fen ? " · " + say(TEXT.change, { amount: money(state.order.change_fen) }) : "");
      change.hidden = false;
      showDone("");
    });
  }

  // 反结账: the order opens again and the API reverses its vouchers (inside their windows).
  function reopen() {
    if (!state.order || state.order.status === "open") return;
    run(async () => {
      clearError();
      const response = await api("POST", "/api/v1/orders/" + state.order.id + "/reopen", {});
      state.order = await response.json();
      $("change").hidden = true;
      $("receipt").hidden = true;
      renderOrder();
      showDone(TEXT.reopened);
    });
  }

  function receiptUrl(format, width, preview) {
    return (
      "/api/v1/orders/" + state.order.id + "/receipt?format=" + format + "&width=" + width +
      (preview ? "&preview=true" : "")
    );
  }

  function showReceipt(width, preview) {
    if (!state.order || state.order.status === "open") return;
    run(async () => {
      clearError();
      const response = await api("GET", receiptUrl("text", width, preview));
      const pre = $("receipt");
      pre.textContent = await response.text();
      pre.className = "receipt w" + width;
      pre.hidden = false;
      if (!preview) window.print();
    });
  }

  function downloadPdf() {
    if (!state.order || state.order.status === "open") return;
    run(async () => {
      clearError();
      // A plain link could not carry the CSRF header, so fetch and hand the bytes over.
      const response = await api("GET", receiptUrl("pdf", 80, false));
      const url = URL.createObjectURL(await response.blob());
      const link = document.createElement("a");
      link.href = url;
      link.download = "receipt-" + state.order.order_no + ".pdf";
      document.body.appendChild(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    });
  }

  // --- wiring -------------------------------------------------------------------------------
  function onKey(event) {
    if (event.isComposing) return;
    const keys = {
      F2: openOrder,
      F4: reverseLast,
      F8: checkout,
      F9: () => showReceipt(80, false),
    };
    if (keys[event.key]) {
      event.preventDefault();
      keys[event.key]();
      return;
    }
    if (event.key === "Escape") {
      event.preventDefault();
      cancelPrepare();
      clearError();
      $("scan").value = "";
      focusScan();
    }
  }

  function start() {
    $("scan").addEventListener("keydown", (event) => {
      if (event.isComposing) return;
      if (event.key.length === 1) {
        typedSinceEnter = true;
        return;
      }
      if (event.key !== "Enter") return;
      event.preventDefault();
      const now = performance.now();
      // A scanner's doubled Enter comes with nothing typed in between; a new code never is one.
      const burst = event.repeat || (now - lastEnterAt < SCANNER_BURST_MS && !typedSinceEnter);
      lastEnterAt = now;
      typedSinceEnter = false;
      if (!burst) onScanEnter();
    });
    $("confirm").addEventListener("click", confirm);
    $("cancel").addEventListener("click", () => {
      cancelPrepare();
      focusScan();
    });
    $("open-order").addEventListener("click", openOrder);
    for (const button of document.querySelectorAll("button.item")) {
      button.addEventListener("click", () => addItem(button));
    }
    $("tender").addEventListener("change", () => {
      for (const el of document.querySelectorAll(".member-only")) {
        el.hidden = $("tender").value !== "member_card";
      }
    });
    $("checkout").addEventListener("submit", (event) => {
      event.preventDefault();
      checkout();
    });
    $("preview-58").addEventListener("click", () => showReceipt(58, true));
    $("preview-80").addEventListener("click", () => showReceipt(80, true));
    $("pdf").addEventListener("click", downloadPdf);
    $("print").addEventListener("click", () => showReceipt(80, false));
    $("reopen").addEventListener("click", reopen);
    document.addEventListener("keydown", onKey);
    // The minutes left to reverse tick down while the order stays on screen.
    setInterval(() => {
      if (state.order) $("vouchers").replaceChildren(...state.order.vouchers.map(voucherRow));
    }, 30000);

    const saved = sessionStorage.getItem(ORDER_KEY);
    if (saved) {
      run(async () => {
        try {
          await loadOrder(saved);
        } catch (err) {
          sessionStorage.removeItem(ORDER_KEY);
        }
      });
    }
    renderOrder();
    focusScan();
    // Keys pressed before this point went nowhere; tests (and a curious integrator) wait for it.
    document.documentElement.dataset.ready = "1";
  }

  start();
})();
