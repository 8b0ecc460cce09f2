/** The one seeded PRNG, from `chatgpt/testing`, under the name the tests know it by. */
export { seededRandom as mulberry32 } from '../../packages/chatgpt-kit/src/testing/seeded-random.js'
