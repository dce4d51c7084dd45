import type { Embedder } from '../embedding';
import type { ExtraTuningQueries, TuningQueryProvider } from '../store';

/**
 * Text queries an approximate index is tuned for (store/tuning.ts), besides its own held-out vectors as image
 * queries. The library has no captions of its own, so the engine embeds these generic phrases, written like
 * what people type into a photo search (subjects, scenes, activities, times of day; short and long), with
 * the library's model. What tuning needs from them is where text embeddings sit relative to the image
 * vectors (the modality gap: lower cosines to every image, neighbours spread over more IVF lists), and any
 * text of the model's language shares that; `pnpm bench --scale` checks the result on held-out captions.
 */
export const TUNING_PHRASES: readonly string[] = [
  'a dog',
  'a cat sleeping on a sofa',
  'a child playing in the park',
  'two people walking on the beach at sunset',
  'a birthday cake with candles',
  'mountains covered in snow',
  'a city street at night',
  'a plate of food on a table',
  'a group of friends smiling at the camera',
  'a red car parked on the road',
  'a bird sitting on a branch',
  'a wedding ceremony',
  'a baby',
  'a man riding a bicycle',
  'a woman holding an umbrella in the rain',
  'a boat on a lake',
  'a forest trail in autumn',
  'a football match',
  'people dancing at a party',
  'a horse in a field',
  'a selfie',
  'a screenshot of a document',
  'flowers in a garden',
  'an old building with columns',
  'a bridge over a river',
  'a christmas tree with lights',
  'kids swimming in a pool',
  'a skier going down a slope',
  'a black and white portrait of an old man',
  'a crowded market',
  'a train at a station',
  'a view from an airplane window',
  'a tent at a campsite',
  'fireworks in the night sky',
  'a surfer riding a wave',
  'a dog catching a frisbee',
  'a cup of coffee',
  'a desert landscape',
  'a person climbing a rock wall',
  'a family picnic on the grass',
  'a close-up of a face',
  'a playground with a slide',
  'a concert on a stage',
  'a snowy street with houses',
  'a waterfall',
  'a kitchen',
  'a cow',
  'a boy jumping into the water',
  'a girl in a pink dress running',
  'a motorbike race',
  'a sunset over the sea',
  'a person reading a book',
  'a puppy on a bed',
  'street art on a wall',
  'a graduation photo',
  'a hiker on top of a mountain',
  'a tennis player hitting the ball',
  'a church interior',
  'a bowl of fruit',
  'a foggy morning in the countryside',
  'a group of runners in a marathon',
  'a man with a beard wearing a hat',
  'the eiffel tower',
  'a baby in a stroller',
];

/**
 * The engine's tuning queries: TUNING_PHRASES embedded by the current model, once per model (a model switch
 * embeds them again), and only when a build asks for them: an exact (flat) index never does.
 */
export function phraseTuningQueries(embedder: Embedder, phrases: readonly string[] = TUNING_PHRASES): TuningQueryProvider {
  let cached: { model: string; queries: ExtraTuningQueries[] } | undefined;
  let pending: { model: string; promise: Promise<ExtraTuningQueries[]> } | undefined;
  const current = () => (cached && cached.model === embedder.modelName ? cached.queries : undefined);
  return {
    ready: () => current() ?? [],
    load: () => {
      const ready = current();
      if (ready) return Promise.resolve(ready);
      const model = embedder.modelName;
      if (pending?.model !== model) {
        const promise = embedder.embedTexts([...phrases]).then((vectors) => {
          const flat = new Float32Array(vectors.length * embedder.dimension);
          vectors.forEach((vector, i) => flat.set(vector, i * embedder.dimension));
          const queries: ExtraTuningQueries[] = [{ kind: 'text', vectors: flat }];
          cached = { model, queries };
          return queries;
        });
        // A failed embedding is tried again by the next build.
        promise.catch(() => {
          if (pending?.promise === promise) pending = undefined;
        });
        pending = { model, promise };
      }
      return pending.promise;
    },
  };
}
