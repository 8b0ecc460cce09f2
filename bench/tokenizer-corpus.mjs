// Inputs for bench/tokenizer.mjs: a varied corpus (the repository's own code and README for code
// and markdown, written samples for the rest) and seeded random strings that mix every character
// class the tokenizers' split patterns treat differently.
import { readFileSync } from 'node:fs'

const read = (path) => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8')

const prose = `The gateway answers every request with a usage block, and people read those numbers: they budget with them, they bill with them, and they compare them with what the official API would have said. A count that is off by a few percent is a count nobody trusts, so it has to come from the same byte-pair encoding the models use.
Counting is also on the hot path. A streamed reply is counted once at the end, but a prompt is counted before the first byte goes upstream, and a conversation that is replayed in full can be long. Whatever the tokenizer costs per character, it costs it on every request.
Finally, some inputs are hostile. Someone will paste a megabyte of one repeated letter, or a wall of emoji, just to see what happens. The counter must shrug and answer, not spin for minutes on the event loop while every other client waits.`

const cjk = `我们今天去公园散步，天气很好。孩子们在草地上玩耍，老人们在树下下棋。这个城市的春天总是来得很早。
東京の天気は晴れです。明日は雨が降るでしょう、傘を忘れないでください。日本語の文章には句読点が少ないこともあります。
오늘 날씨가 정말 좋네요! 우리는 한강 공원에서 자전거를 탔습니다. 저녁에는 친구들과 비빔밥을 먹었어요.
繁體中文：資訊科技的發展日新月異，人工智慧已經走進千家萬戶。`

const emoji = `Family: 👨‍👩‍👧‍👦 👩‍❤️‍💋‍👨 Flags: 🇺🇸🇯🇵🇫🇷🇧🇷 Skin tones: 👋🏻👋🏼👋🏽👋🏾👋🏿 Keycaps: 1️⃣2️⃣#️⃣ Faces: 😀😃😄😁😆😅🤣😂🙂🙃 Objects: 🚀🛰️🧪🧬💾📎✂️ Text: I ❤️ Unicode ✨ (really) 🎉🎉🎉`

const scripts = `Русский: Съешь же ещё этих мягких французских булок, да выпей чаю.
العربية: نص حكيم له سر قاطع وذو شأن عظيم مكتوب على ثوب أخضر ومغلف بجلد أزرق.
हिन्दी: ऋषियों को सताने वाले दुष्ट राक्षसों के राजा रावण का सर्वनाश करने वाले विष्णुवतार भगवान श्रीराम।
Ελληνικά: Ξεσκεπάζω την ψυχοφθόρα βδελυγμία. עברית: דג סקרן שט בים מאוכזב ולפתע מצא חברה.
ไทย: เป็นมนุษย์สุดประเสริฐเลิศคุณค่า Tiếng Việt: Tôi có thể ăn thủy tinh mà không hại gì.`

const whitespace = 'tabs\tand\t\ttabs\r\nCRLF line\r\n\r\n\r\nblank lines above   \n   leading and trailing spaces   \n\u00a0no-break\u00a0space and\u2028line separator\u3000ideographic space\n\n\n\n    indented code\n\t\tmixed \t indentation\n' + ' '.repeat(40) + '\n' + '\n'.repeat(12) + 'end  '

const contractions = `I'm sure they'll say it's fine, but we'd've known. YOU'RE RIGHT, THEY'VE GONE. He'S odd; she'D agree. rock'n'roll O'Brien's don't won't can't isn't. '''quoted''' 's 't 're`

const specialText = 'Plain text that looks special: <|endoftext|> and <|im_start|>user<|im_sep|>hi<|im_end|> and <|fim_prefix|><|fim_middle|><|fim_suffix|> <|endofprompt|> done'

const numbers = '3.14159265358979323846264338327950288419716939937510 1,000,000 0x1F600 2024-06-01T12:34:56.789Z +1 (555) 010-9999 12345678901234567890123456789 1e-10 ½ ¾ ① ② Ⅻ ٣٤٥ ४५६'

// U+FEFF: gpt-tokenizer 4.0.0 turns merged bytes back into strings with a default TextDecoder,
// which drops a leading byte-order mark, so a piece starting with EF BB BF is looked up wrong.
const invisible = '\ufeffA file pasted with its byte-order mark.\nzero\u200bwidth space, non\u200cjoiner, joiner\u200d, word\u2060joiner, soft\u00adhyphen, a\ufeffb'

const urls = 'https://example.com/a/very/long/path/with-segments_and.dots?query=string&x=1#fragment data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg== sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'

/** [name, text] pairs: the corpus the two tokenizers must agree on. */
export const corpus = [
  ['English prose', prose],
  ['TypeScript code', read('packages/chatgpt-kit/src/chatgpt-api.ts')],
  ['Markdown (README)', read('README.md')],
  ['CJK', cjk],
  ['Emoji', emoji],
  ['Other scripts', scripts],
  ['Whitespace', whitespace],
  ['Contractions', contractions],
  ['Special-token text', specialText],
  ['Numbers', numbers],
  ['URLs, base64, hex', urls],
  ['Invisible, U+FEFF', invisible]
]

/** Everything above joined, the material for the throughput inputs. */
export const mixed = corpus.map(([, text]) => text).join('\n\n')

/** `count` windows of about `length` characters from `text`, `step` apart (never mid-pair). */
export function windows(text, length, count, step) {
  const out = []
  for (let i = 0; out.length < count; i++) {
    let start = (i * step) % Math.max(1, text.length - length)
    if (/[\udc00-\udfff]/.test(text[start] ?? '')) start++
    let end = start + length
    if (/[\ud800-\udbff]/.test(text[end - 1] ?? '')) end++
    out.push(text.slice(start, end))
  }
  return out
}

/** About `length` characters of the corpus, starting at a different place for each `seed`. */
export function longText(length, seed) {
  let out = ''
  let offset = (seed * 7919) % mixed.length
  while (out.length < length) {
    out += mixed.slice(offset) + '\n'
    offset = 0
  }
  out = out.slice(0, length)
  return /[\ud800-\udbff]/.test(out.at(-1)) ? out.slice(0, -1) : out
}

/** A small seeded PRNG (mulberry32), so that every run fuzzes the same strings. */
function random(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

// Character classes the split patterns distinguish: letters by case, marks, digits, punctuation,
// apostrophes (contractions), every kind of whitespace, CJK, astral emoji, special-token text.
const alphabet = [
  'abcdefghijklmnopqrstuvwxyz',
  'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
  "''''",
  '0123456789',
  '.,;:!?-_/\\()[]{}<>|@#$%^&*+=~`"',
  '    \t\n\r\u00a0\u2028\u3000',
  'éñüçø\u0301\u0308\u0327',
  'ЖжЯяΩωअनु\u093f\u0947',
  '我们天気한국語中文字',
  ['😀', '👍🏽', '🇯🇵', '👨‍👩‍👧', '❤️', '🚀'],
  ['<|endoftext|>', '<|im_start|>', "'s", "'LL", 'https://', '\r\n', '...', '===', '\ufeff', '\u200b']
]

/** `count` seeded random strings of 1..maxLength pieces drawn from every class above. */
export function fuzzStrings(count, maxLength, seed = 42) {
  const next = random(seed)
  const pick = (list) => list[Math.floor(next() * list.length)]
  const classes = alphabet.map((entry) => (typeof entry === 'string' ? [...entry] : entry))
  const out = []
  for (let i = 0; i < count; i++) {
    const length = 1 + Math.floor(next() * maxLength)
    let text = ''
    let current = pick(classes)
    for (let j = 0; j < length; j++) {
      if (next() < 0.3) current = pick(classes) // runs of one class, like real text
      text += pick(current)
    }
    out.push(text)
  }
  return out
}
