// Focus never falls to the page body. When an action removes the focused
// control (Connect becomes Disconnect, a wizard closes after "Add", a pane
// changes), the keyboard would restart from the top of the page — 15 to 20 Tabs
// back to where the admin was. Instead the focus goes to the nearest place that
// is still there: the first control inside the closest surviving ancestor of
// the control that went away.

const FOCUSABLE = 'button:not([disabled]), [href], input:not([disabled]):not([type=hidden]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

function visible(el: HTMLElement): boolean {
  return el.getClientRects().length > 0;
}

/** The first control a keyboard user would reach inside `root` (or root itself when it takes focus). */
function firstFocusable(root: Element): HTMLElement | null {
  for (const el of root.querySelectorAll<HTMLElement>(FOCUSABLE)) if (visible(el) && !el.closest('[inert], dialog:not([open])')) return el;
  if (root instanceof HTMLElement && root.tabIndex >= 0 && visible(root)) return root;
  return null;
}

/** Starts watching `doc`; returns the function that stops. */
export function installFocusKeeper(doc: Document = document): () => void {
  // the focused element and its ancestors, remembered when it got the focus (a removed node loses its parent links)
  let path: Element[] = [];
  const onFocusIn = (e: FocusEvent) => {
    const t = e.target;
    if (!(t instanceof Element)) return;
    path = [];
    for (let el: Element | null = t; el && el !== doc.body; el = el.parentElement) path.push(el);
  };
  let pending = false;
  const check = () => {
    pending = false;
    const active = doc.activeElement;
    if (active && active !== doc.body) return;
    if (!path.length || path[0].isConnected) return;
    for (const el of path.slice(1)) {
      if (!el.isConnected) continue;
      const target = firstFocusable(el);
      if (target) {
        target.focus();
        return;
      }
    }
  };
  const observer = new MutationObserver(() => {
    if (pending) return;
    pending = true;
    // after the framework has finished this update (the new controls exist)
    requestAnimationFrame(check);
  });
  doc.addEventListener('focusin', onFocusIn);
  observer.observe(doc.body, { childList: true, subtree: true });
  return () => {
    doc.removeEventListener('focusin', onFocusIn);
    observer.disconnect();
  };
}
