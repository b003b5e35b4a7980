// Building DOM nodes for the transcript, and keeping <pre> scroll positions across redraws.

export type Child = Node | string | null | undefined | false | Child[];

/** `h('div', {class: 'x', onclick: fn, html: safeHtml}, ...children)`. `html` is only ever
 * the output of the escapeHtml-based renderers (markdown, highlight). */
export function h(tag: string, props: Record<string, unknown> | null, ...children: Child[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) {
      continue;
    }
    if (key === 'class') {
      el.className = String(value);
    } else if (key === 'html') {
      el.innerHTML = String(value);
    } else if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value as EventListener);
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  const append = (child: Child): void => {
    if (Array.isArray(child)) {
      child.forEach(append);
    } else if (child !== null && child !== undefined && child !== false && child !== '') {
      el.append(child);
    }
  };
  children.forEach(append);
  return el;
}

/** Keep <pre> scroll positions (or stick to the end) when `oldNode` is replaced by `newNode`;
 * with no old node, scroll the new node's <pre>s to their end. */
export function keepScroll(oldNode: HTMLElement | null, newNode: HTMLElement): void {
  const saved = new Map<string, { top: number; atEnd: boolean }>();
  if (oldNode) {
    oldNode.querySelectorAll<HTMLElement>('[data-scroll-key]').forEach(p =>
      saved.set(p.dataset.scrollKey as string, { top: p.scrollTop, atEnd: p.scrollHeight - p.scrollTop - p.clientHeight < 8 })
    );
    oldNode.replaceWith(newNode);
  }
  newNode.querySelectorAll<HTMLElement>('[data-scroll-key]').forEach(p => {
    const s = saved.get(p.dataset.scrollKey as string);
    p.scrollTop = !s || s.atEnd ? p.scrollHeight : s.top;
  });
}
