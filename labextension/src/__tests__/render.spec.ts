// The ported renderers: escaping, links, code-block extraction and the cell diff.
import { codeBlocks, escapeHtml, lineDiff, renderMarkdown, shellJoin } from '../render';

describe('render', () => {
  it('escapes HTML and only links http(s)', () => {
    expect(renderMarkdown('<script>alert(1)</script>')).not.toContain('<script>');
    const links = renderMarkdown('[ok](https://example.com) [bad](javascript:alert(1))');
    expect(links).toContain('href="https://example.com"');
    expect(links).not.toContain('href="javascript');
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    expect(shellJoin(['echo', 'a b', ''])).toBe("echo 'a b' ''");
  });

  it('finds fenced code blocks with their language', () => {
    expect(codeBlocks('text\n```python\nx = 1\nprint(x)\n```\nmore\n~~~\nplain\n~~~')).toEqual([
      { lang: 'python', code: 'x = 1\nprint(x)' },
      { lang: '', code: 'plain' }
    ]);
    expect(renderMarkdown('```python\nx = 1\n```')).toContain('data-lang="python"');
  });

  it('diffs cell sources line by line', () => {
    expect(lineDiff('a\nb\nc', 'a\nB\nc\nd')).toEqual([' a', '-b', '+B', ' c', '+d']);
    expect(lineDiff('', 'x')).toEqual(['+x']);
    expect(lineDiff('x', '')).toEqual(['-x']);
  });
});
