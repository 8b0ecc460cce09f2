import { createHash } from 'node:crypto'

import { describe, expect, it } from 'vitest'

import { ChatGPTError } from '../packages/chatgpt-kit/src/errors.js'
import { Utf8Base64Writer, utf8Base64 } from '../packages/chatgpt-kit/src/internal/pow/base64-utf8.js'
import { browserDateString } from '../packages/chatgpt-kit/src/internal/pow/browser-date.js'
import { NAVIGATOR_PROBE_SEPARATOR, pickBrowserKeys } from '../packages/chatgpt-kit/src/internal/pow/browser-keys.js'
import { encodePowConfig, powConfigEncoder } from '../packages/chatgpt-kit/src/internal/pow/config-encoding.js'
import { checkPowChallenge, meetsDifficulty } from '../packages/chatgpt-kit/src/internal/pow/difficulty.js'
import { fnv1a32Fmix } from '../packages/chatgpt-kit/src/internal/pow/fnv1a32-fmix.js'
import { buildPowConfig, type PowConfig } from '../packages/chatgpt-kit/src/internal/pow/pow-config.js'
import { FNV_POW, LEGACY_SHA3_POW, type PowVariant } from '../packages/chatgpt-kit/src/internal/pow/pow-variants.js'
import { requirementsToken } from '../packages/chatgpt-kit/src/internal/pow/requirements-token.js'
import { sha3_512Hex } from '../packages/chatgpt-kit/src/internal/pow/sha3-512-hex.js'
import { MAX_POW_ATTEMPTS, POW_ATTEMPTS_PER_SLICE, solveProofOfWork } from '../packages/chatgpt-kit/src/internal/pow/solve.js'

// The test vectors of PROTOCOL-2026.md §4.5: this config, entry 9 pinned to 0 (a clock that never
// moves) for A and B, `nonce >> 1` for C; entry 3 is the nonce.
const VECTOR_ENVIRONMENT = {
  screenSum: 4000,
  dateString: 'Mon Jan 05 2026 10:00:00 GMT+0000 (Coordinated Universal Time)',
  userAgent:
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/143.0.0.0 Safari/537.36',
  scriptSrc: 'https://chatgpt.com/backend-api/sentinel/sdk.js',
  build: 'prod-0000000000000000000000000000000000000000',
  navigatorProbe: 'webdriver\u2212false',
  documentKey: 'location',
  windowKey: 'onresize',
  performanceNow: 1234.5,
  sessionId: '00000000-0000-4000-8000-000000000000',
  hardwareConcurrency: 8,
  timeOrigin: 1767607200000
}
const VECTOR_CONFIG_JSON =
  '[4000,"Mon Jan 05 2026 10:00:00 GMT+0000 (Coordinated Universal Time)",4294705152,0,"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/143.0.0.0 Safari/537.36","https://chatgpt.com/backend-api/sentinel/sdk.js","prod-0000000000000000000000000000000000000000","en-US","en-US,en",0,"webdriver−false","location","onresize",1234.5,"00000000-0000-4000-8000-000000000000","",8,1767607200000,0,0,0,0,0,0,0]'
const config = (): PowConfig => buildPowConfig(VECTOR_ENVIRONMENT)
const frozenClock = () => 0
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')
/** The config inside an answer or token, decoded with Node's own base64 (not ours). */
const decode = (encoded: string) => JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')) as PowConfig

/** `variant` with every hash counted: one hash is one attempt. */
function counted(variant: PowVariant) {
  const counter = { attempts: 0 }
  const wrapped: PowVariant = {
    ...variant,
    hash: (text) => {
      counter.attempts++
      return variant.hash(text)
    }
  }
  return { variant: wrapped, counter }
}

/** Counts event-loop turns (one `setImmediate` each) from now until `stop()`. */
function immediateTicker(onTick: (tick: number) => void = () => {}) {
  let ticks = 0
  let running = true
  const tick = () => {
    if (!running) return
    ticks++
    onTick(ticks)
    setImmediate(tick)
  }
  setImmediate(tick)
  return {
    stop: () => {
      running = false
      return ticks
    }
  }
}

// A challenge no nonce below the bound answers, found by trying: with the clock pinned, each
// attempt's input is fixed, and none of the 500,000 FNV hashes starts with eight zeros.
const UNSOLVABLE = { seed: '0.5099912974590367', difficulty: '00000000' }

describe('fnv1a32Fmix', () => {
  it('matches the note and the Rust port', () => {
    expect(fnv1a32Fmix('hello')).toBe('888d766e')
    expect(fnv1a32Fmix('')).toBe('ab3e7c0b')
  })
})

describe('the config', () => {
  it('builds the vector config from its environment, 25 entries, with defaults for the rest', () => {
    const built = config()
    expect(built).toHaveLength(25)
    expect(JSON.stringify(built)).toBe(VECTOR_CONFIG_JSON)
  })

  it('is base64 of UTF-8: the U+2212 of entry 10 is three bytes', () => {
    const bytes = Buffer.from(encodePowConfig(config()), 'base64')
    expect(bytes.includes(Buffer.from([0xe2, 0x88, 0x92]))).toBe(true)
    expect(bytes.toString('utf8')).toBe(VECTOR_CONFIG_JSON)
  })

  it('the hot-loop encoder gives what JSON.stringify gives with entries 3 and 9 set', () => {
    const base = config()
    const encode = powConfigEncoder(base)
    for (const [nonce, nine] of [[0, 0], [33, 0], [499_999, 123456], [7, 3]] as const) {
      const expected: PowConfig = [...base]
      expected[3] = nonce
      expected[9] = nine
      expect(encode(nonce, nine)).toBe(encodePowConfig(expected))
    }
  })

  it('base64 writer agrees with Buffer, for every length mod 3, surrogate pairs, and growing inputs', () => {
    const writer = new Utf8Base64Writer()
    const samples = ['', 'a', 'ab', 'abc', 'abcd', '−', 'x−y', '😀', 'é😀−', 'a'.repeat(1000), 'short again', '\0\x7f\x80']
    for (const text of samples) {
      expect(writer.encode(text), JSON.stringify(text)).toBe(Buffer.from(text, 'utf8').toString('base64'))
      expect(utf8Base64(text)).toBe(Buffer.from(text, 'utf8').toString('base64'))
    }
  })

  it('browserDateString writes what Date#toString writes in that zone', () => {
    const saved = process.env.TZ
    // Winter, summer, and the hour Europe springs forward.
    const dates = [new Date(1767607200000), new Date(Date.UTC(2026, 6, 1, 23, 59, 59)), new Date(Date.UTC(2026, 2, 29, 1, 30))]
    try {
      for (const zone of ['UTC', 'Asia/Tokyo', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'America/St_Johns']) {
        process.env.TZ = zone // Node re-reads TZ when it is assigned
        for (const date of dates) expect(browserDateString(date, zone), zone).toBe(String(date))
      }
    } finally {
      if (saved === undefined) delete process.env.TZ
      else process.env.TZ = saved
    }
    expect(browserDateString(new Date(1767607200000), 'UTC')).toBe(VECTOR_ENVIRONMENT.dateString)
    expect(browserDateString(new Date(1767607200000), 'Asia/Tokyo')).toBe(
      'Mon Jan 05 2026 19:00:00 GMT+0900 (Japan Standard Time)'
    )
  })

  it('pickBrowserKeys draws from its random source, and the navigator probe uses U+2212', () => {
    const low = pickBrowserKeys(() => 0)
    expect(low).toEqual({
      navigatorProbe: `webdriver${NAVIGATOR_PROBE_SEPARATOR}false`,
      documentKey: 'location',
      windowKey: 'onresize'
    })
    const high = pickBrowserKeys(() => 0.999)
    expect(high.documentKey).toBe('_reactListeningzzzzzzzzzz')
    expect(high.windowKey).toBe('__oai_SSR_TTI')
  })
})

describe('the requirements token', () => {
  it('is gAAAAAC + the config with entry 3 = 1 and entry 9 = the ms spent, not solved', () => {
    const base = config()
    const token = requirementsToken(base, 7)
    expect(token.startsWith('gAAAAAC')).toBe(true)
    const expected: PowConfig = [...base]
    expected[3] = 1
    expected[9] = 7
    expect(decode(token.slice('gAAAAAC'.length))).toEqual(expected)
    expect(JSON.stringify(base)).toBe(VECTOR_CONFIG_JSON) // the caller's config is left alone
  })
})

describe('the difficulty rule and the challenge check', () => {
  it('compares the hash prefix as a string, at most the difficulty', () => {
    expect(meetsDifficulty('04dc986d', '061a80')).toBe(true)
    expect(meetsDifficulty('061a80ff', '061a80')).toBe(true)
    expect(meetsDifficulty('061a8100', '061a80')).toBe(false)
    expect(meetsDifficulty('ffffffff', '0687a0')).toBe(false)
  })

  it('refuses a challenge without a string seed or with a difficulty that is not lowercase hex', async () => {
    const malformed = [
      { difficulty: '061a80' },
      { seed: 1, difficulty: '061a80' },
      { seed: 's', difficulty: '' },
      { seed: 's', difficulty: '061A80' },
      { seed: 's', difficulty: '06 1a' },
      null
    ]
    for (const bad of malformed) {
      expect(() => checkPowChallenge(bad), JSON.stringify(bad)).toThrow(ChatGPTError)
      const error = await solveProofOfWork(bad as never, config()).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(ChatGPTError)
      expect((error as ChatGPTError).code).toBe('invalid_response')
    }
  })
})

describe('solving (FNV, the current scheme)', () => {
  it('vector A: 061a80 is first met at nonce 33', async () => {
    const solution = await solveProofOfWork({ seed: '0.5099912974590367', difficulty: '061a80' }, config(), { now: frozenClock })
    expect(solution).toMatchObject({ nonce: 33, hash: '04dc986d', attempts: 34 })
    expect(solution.answer).toHaveLength(597)
    expect(solution.answer.startsWith('gAAAAABWzQwMDAsIk1vbiBKYW4g')).toBe(true)
    expect(solution.answer.endsWith('LDAsMCwwLDAsMCwwXQ==~S')).toBe(true)
    expect(sha256(solution.answer)).toBe('145def3526a534861005b25d23b4a50a9b3e2eea98729ac60acac0c6a3e0f4ab')
    const sent = decode(solution.answer.slice('gAAAAAB'.length, -'~S'.length))
    expect([sent[3], sent[9]]).toEqual([33, 0])
  })

  it('vector B: 00ffff is first met at nonce 78', async () => {
    const solution = await solveProofOfWork({ seed: '0.6287679384217534', difficulty: '00ffff' }, config(), { now: frozenClock })
    expect(solution).toMatchObject({ nonce: 78, hash: '00dd99d8', attempts: 79 })
    expect(sha256(solution.answer)).toBe('82cf96a22d7ebec4de4a5752d0507a24aa9a787d462a2aae1a054be081111b5c')
  })

  it('puts the elapsed ms, rounded, in entry 9', async () => {
    let clock = 1000
    const now = () => (clock += 0.6) // each read 0.6 ms later: entry 9 grows with the attempts
    const solution = await solveProofOfWork({ seed: '0.5099912974590367', difficulty: '0fffff' }, config(), { now })
    const sent = decode(solution.answer.slice('gAAAAAB'.length, -'~S'.length))
    expect(sent[3]).toBe(solution.nonce)
    expect(sent[9]).toBe(Math.round(0.6 * (solution.nonce + 1)))
    expect(fnv1a32Fmix('0.5099912974590367' + solution.answer.slice(7, -2))).toBe(solution.hash)
  })

  it('makes at most 500,000 attempts, even when asked for more, then fails with invalid_response; it yields between slices', async () => {
    const { variant, counter } = counted(FNV_POW)
    const ticker = immediateTicker()
    const error = await solveProofOfWork(UNSOLVABLE, config(), { variant, now: frozenClock, maxAttempts: 1_000_000 }).catch(
      (e: unknown) => e
    )
    const ticks = ticker.stop()
    expect(error).toBeInstanceOf(ChatGPTError)
    expect((error as ChatGPTError).code).toBe('invalid_response')
    expect((error as ChatGPTError).message).toContain('500000 attempts')
    expect(counter.attempts).toBe(MAX_POW_ATTEMPTS)
    expect(MAX_POW_ATTEMPTS).toBe(500_000)
    // One event-loop turn per yield: a yield after every slice but the last.
    expect(ticks).toBeGreaterThanOrEqual(MAX_POW_ATTEMPTS / POW_ATTEMPTS_PER_SLICE - 1)
  })

  it('a lower maxAttempts is the bound', async () => {
    const { variant, counter } = counted(FNV_POW)
    await expect(solveProofOfWork(UNSOLVABLE, config(), { variant, now: frozenClock, maxAttempts: 2_500 })).rejects.toThrow(
      'in 2500 attempts'
    )
    expect(counter.attempts).toBe(2_500)
  })

  it('other work runs during a long solve: a setImmediate callback sees it part-way', async () => {
    const { variant, counter } = counted(FNV_POW)
    const seenAt: number[] = []
    const ticker = immediateTicker(() => seenAt.push(counter.attempts))
    await solveProofOfWork(UNSOLVABLE, config(), { variant, now: frozenClock, maxAttempts: 20_000, attemptsPerSlice: 1_000 }).catch(
      () => {}
    )
    const ticks = ticker.stop()
    expect(counter.attempts).toBe(20_000)
    expect(ticks).toBeGreaterThanOrEqual(19)
    // The first callback ran after the first slice, long before the end.
    expect(seenAt[0]).toBe(1_000)
    expect(seenAt.slice(0, 19)).toEqual(Array.from({ length: 19 }, (_, i) => (i + 1) * 1_000))
  })

  it('without yields (one slice) nothing else would run: the control for the test above', async () => {
    const { variant, counter } = counted(FNV_POW)
    const seenAt: number[] = []
    const ticker = immediateTicker(() => seenAt.push(counter.attempts))
    await solveProofOfWork(UNSOLVABLE, config(), { variant, now: frozenClock, maxAttempts: 20_000, attemptsPerSlice: 20_000 }).catch(
      () => {}
    )
    ticker.stop()
    expect(seenAt).toEqual([])
  })

  it('an abort stops it at the next yield, with the signal reason', async () => {
    const { variant, counter } = counted(FNV_POW)
    const controller = new AbortController()
    const reason = new Error('caller gave up')
    const ticker = immediateTicker(() => controller.abort(reason))
    const error = await solveProofOfWork(UNSOLVABLE, config(), { variant, now: frozenClock, signal: controller.signal }).catch(
      (e: unknown) => e
    )
    ticker.stop()
    expect(error).toBe(reason)
    expect(counter.attempts).toBe(POW_ATTEMPTS_PER_SLICE)
  })

  it('an already aborted signal makes no attempt at all', async () => {
    const { variant, counter } = counted(FNV_POW)
    const controller = new AbortController()
    controller.abort(new Error('before'))
    await expect(solveProofOfWork(UNSOLVABLE, config(), { variant, signal: controller.signal })).rejects.toThrow('before')
    expect(counter.attempts).toBe(0)
  })

  it('concurrent solves do not disturb each other (each has its own encoder)', async () => {
    const options = { now: frozenClock, attemptsPerSlice: 10 }
    const [a, b] = await Promise.all([
      solveProofOfWork({ seed: '0.5099912974590367', difficulty: '061a80' }, config(), options),
      solveProofOfWork({ seed: '0.6287679384217534', difficulty: '00ffff' }, config(), options)
    ])
    expect(sha256(a.answer)).toBe('145def3526a534861005b25d23b4a50a9b3e2eea98729ac60acac0c6a3e0f4ab')
    expect(sha256(b.answer)).toBe('82cf96a22d7ebec4de4a5752d0507a24aa9a787d462a2aae1a054be081111b5c')
  })
})

describe('solving (SHA3-512, the legacy fallback)', () => {
  it('node:crypto has sha3-512 on this Node', () => {
    expect(sha3_512Hex('')).toBe(
      'a69f73cca23a9ac5c8b567dc185a756e97c982164fe25859e0d1dcc1475c80a615b2123af1f5f94c11e3e9402c3ac558f500199d95b6d3e301758586281dcd26'
    )
  })

  it('vector C: 00ffff is first met at nonce 1070, with nonce >> 1 in entry 9 and no ~S', async () => {
    const solution = await solveProofOfWork({ seed: '0.5099912974590367', difficulty: '00ffff' }, config(), {
      variant: LEGACY_SHA3_POW,
      now: () => 1e9 // entry 9 must not come from the clock in this scheme
    })
    expect(solution.nonce).toBe(1070)
    expect(solution.hash.startsWith('0082a284')).toBe(true)
    expect(solution.hash).toHaveLength(128)
    expect(solution.answer.endsWith('~S')).toBe(false)
    expect(sha256(solution.answer)).toBe('a47247176062396c693c91e24fc67e0c17ca25acd3e7e6bab02acb8134e0ffa9')
    const sent = decode(solution.answer.slice('gAAAAAB'.length))
    expect([sent[3], sent[9]]).toEqual([1070, 535])
  })
})
