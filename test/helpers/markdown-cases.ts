/**
 * The markdown conversion's case table: name, markdown, and the text `markdownToText` gives.
 * Shared by the conversion's tests and the check that the terminal renderer agrees with it.
 */
export const MARKDOWN_CASES: [name: string, input: string, text: string][] = [
  ['ATX headings', '# Title\n## Sub ##\n###### Six\n#hashtag', 'Title\n\nSub\n\nSix\n\n#hashtag'],
  ['a heading keeps a trailing # that is part of a word', '# C#', 'C#'],
  ['setext headings', 'Title\n=====\nBody\n\nSub\n---\nMore', 'Title\n\nBody\n\nSub\n\nMore'],
  ['emphasis and strong', '*a* _b_ **c** __d__ ***e*** ~~f~~', 'a b c d e f'],
  ['intraword underscores stay', 'snake_case and __init__ and a_b_c', 'snake_case and init and a_b_c'],
  ['multiplication stays', '2 * 3 * 4 = 24', '2 * 3 * 4 = 24'],
  ['intraword stars are emphasis', 'a*b*c', 'abc'],
  ['unmatched markers stay', 'a **b and *c', 'a **b and *c'],
  ['single tildes stay', '~5 minutes, ~~gone~~', '~5 minutes, gone'],
  ['inline code', 'run `npm i` or `` a`b `` now', 'run npm i or a`b now'],
  ['markers inside code spans stay', 'use `**kwargs` and `_private`', 'use **kwargs and _private'],
  ['links', 'see [the *docs*](https://x.com/a_(b) "Title") here', 'see the docs here'],
  ['links in angle brackets', '[x](<a b.html>)', 'x'],
  ['autolinks', 'go to <https://x.com/a?b=1> or <me@x.com>', 'go to https://x.com/a?b=1 or me@x.com'],
  ['reference links', '[one][a] and [two][] and [three]', 'one and two and [three]'],
  ['link definitions go', 'Text\n\n[a]: https://x.com\n[b]: <y> "t"', 'Text'],
  ['images', '![a *cat*](cat.png "c") ![](x.png)', 'a cat'],
  ['blockquotes', '> one\n> two\n>\n> > nested', 'one\ntwo\n\nnested'],
  ['bullet lists', '- a\n* b\n+ c\n  - nested\n- [ ] task', 'a\nb\nc\nnested\n[ ] task'],
  ['ordered lists keep numbers', '1. one\n2) two\n10. ten', '1. one\n2) two\n10. ten'],
  ['thematic breaks go', 'a\n\n***\n\n- - -\n\n___\n\nb', 'a\n\nb'],
  ['HTML tags go', 'a <b>bold</b> <span class="x">s</span> <!-- c --> x<br/>y', 'a bold s  x\ny'],
  ['generic-looking text is HTML', 'x < y and a<b', 'x < y and a<b'],
  [
    'tables',
    '| A | B |\n| --- | :-: |\n| **1** | `2` |\n| 3 | 4 \\| 5 |\n\nafter',
    'A\tB\n1\t2\n3\t4 | 5\n\nafter'
  ],
  ['tables without outer pipes', 'a | b\n--|--\n1 | 2', 'a\tb\n1\t2'],
  ['a pipe without a delimiter row is text', 'a | b\nnext', 'a | b\nnext'],
  ['escapes', '\\*not\\* \\# \\[x\\] \\\\ \\a', '*not* # [x] \\ \\a'],
  ['entities', '&amp; &lt;tag&gt; &#65; &#x41; &nbsp;x &unknown;', '& <tag> A A \u00a0x &unknown;'],
  ['hard breaks', 'one\\\ntwo  \nthree', 'one\ntwo\nthree'],
  ['paragraphs', 'a\nb\n\n\n\nc', 'a\nb\n\nc'],
  ['trailing whitespace', 'text  \n\n  \n', 'text'],
  ['empty input', '', ''],
  ['fenced code keeps its content', '```js\nconst a = 1\n```', 'const a = 1'],
  [
    'markdown inside code stays',
    '```\n# comment\n**x** _y_ [l](u) <b>\n- item\n```',
    '# comment\n**x** _y_ [l](u) <b>\n- item'
  ],
  ['tilde fences with info strings', '~~~python title="x"\n  indented\n\n\nblank above\n~~~', '  indented\n\n\nblank above'],
  ['a longer closing fence', '````\n```\ninner\n```\n````', '```\ninner\n```'],
  ['code is set apart from text', 'Code:\n```\nx\n```\nDone.', 'Code:\n\nx\n\nDone.'],
  ['fences in list items', '1. Run:\n   ```sh\n   npm i\n   ```\n2. Done', '1. Run:\n\nnpm i\n\n2. Done'],
  ['fences in blockquotes', '> ```\n> **x**\n> ```\n> after', '**x**\n\nafter'],
  ['a blockquote ending ends its fence', '> ```\n> code\nout', 'code\n\nout'],
  ['indented code', 'Text:\n\n    # not a heading\n      deeper\n\nAfter', 'Text:\n\n# not a heading\n  deeper\n\nAfter'],
  ['indented lines in a list are not code', '- item\n\n    continued', 'item\n\ncontinued'],
  ['an unterminated fence keeps its content', 'a\n```\ncode\n', 'a\n\ncode'],
  ['CRLF line endings', '# T\r\n\r\n**b**\r\n', 'T\n\nb']
]
