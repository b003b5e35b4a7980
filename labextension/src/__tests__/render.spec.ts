// The text renderers: escaping, links, code blocks, highlighting; and the panel's cell diff.
import { lineDiff } from '../line_diff';
import { highlight } from '../transcript/highlight';
import { renderMarkdown } from '../transcript/markdown';
import { commandText, escapeHtml, fmtBytes, fmtMs, shellJoin } from '../transcript/text';

describe('render', () => {
  it('escapes HTML and only links http(s)', () => {
    expect(renderMarkdown('<script>alert(1)</script>')).not.toContain('<script>');
    const links = renderMarkdown('[ok](https://example.com) [bad](javascript:alert(1))');
    expect(links).toContain('href="https://example.com"');
    expect(links).not.toContain('href="javascript');
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    expect(shellJoin(['echo', 'a b', ''])).toBe("echo 'a b' ''");
  });

  it('shows `bash -lc SCRIPT` as the script, without quoting noise', () => {
    expect(commandText(['bash', '-lc', "printf 'hi\\n' > notes.txt"])).toBe("printf 'hi\\n' > notes.txt");
    expect(commandText(['/bin/sh', '-c', 'ls | wc -l'])).toBe('ls | wc -l');
    expect(commandText(['python', '-c', "print('x')"])).toBe("python -c 'print('\"'\"'x'\"'\"')'");
    expect(commandText(['bash', '-c', '   '])).toBe("bash -c '   '");
    expect(commandText(['bash', '-x', '-c', 'ls'])).toBe('bash -x -c ls');
  });

  it('renders fenced code blocks highlighted, with their language', () => {
    const html = renderMarkdown('text\n```python\nx = 1  # one\n```\nmore\n~~~\n<plain>\n~~~');
    expect(html).toContain('<pre class="jp-agent-code" data-lang="python"><code class="language-python">');
    expect(html).toContain('<span class="jp-agent-tok-comment"># one</span>');
    expect(html).toContain('<code class="language-text">&lt;plain&gt;</code>');
    expect(highlight('+a\n-b', 'diff')).toBe('<span class="jp-agent-tok-add">+a</span>\n<span class="jp-agent-tok-del">-b</span>');
  });

  it('renders GFM tables with alignment, inline markdown and escaped cells', () => {
    const html = renderMarkdown('Results:\n| name | size | note |\n|:---|---:|:---:|\n| `a.py` | **2** | <b>x</b> |\n| c \\| d | 3 |\n\nafter');
    expect(html).toBe(
      '<p>Results:</p><table><thead><tr><th style="text-align: left">name</th><th style="text-align: right">size</th>' +
        '<th style="text-align: center">note</th></tr></thead><tbody>' +
        '<tr><td style="text-align: left"><code>a.py</code></td><td style="text-align: right"><strong>2</strong></td>' +
        '<td style="text-align: center">&lt;b&gt;x&lt;/b&gt;</td></tr>' +
        '<tr><td style="text-align: left">c | d</td><td style="text-align: right">3</td><td style="text-align: center"></td></tr>' +
        '</tbody></table><p>after</p>'
    );
    expect(renderMarkdown('a | b\n--- | ---')).toBe('<table><thead><tr><th>a</th><th>b</th></tr></thead></table>');
    // not a table: the delimiter row does not match the header
    expect(renderMarkdown('a | b | c\n--- | ---')).toBe('<p>a | b | c\n--- | ---</p>');
  });

  it('renders task lists as disabled checkboxes', () => {
    expect(renderMarkdown('- [ ] todo\n- [x] done')).toBe(
      '<ul><li class="jp-agent-task"><input type="checkbox" disabled> todo</li>' +
        '<li class="jp-agent-task"><input type="checkbox" disabled checked> done</li></ul>'
    );
  });

  it('formats durations and sizes', () => {
    expect([fmtMs(null), fmtMs(250), fmtMs(1500), fmtMs(125000)]).toEqual(['', '250 ms', '1.5 s', '2m 05s']);
    expect([fmtBytes(10), fmtBytes(2048), fmtBytes(3 * 1024 * 1024)]).toEqual(['10 B', '2.0 KiB', '3.0 MiB']);
  });

  it('diffs cell sources line by line', () => {
    expect(lineDiff('a\nb\nc', 'a\nB\nc\nd')).toEqual([' a', '-b', '+B', ' c', '+d']);
    expect(lineDiff('', 'x')).toEqual(['+x']);
    expect(lineDiff('x', '')).toEqual(['-x']);
  });
});
