"""The Python peer `pnpm bench` compares indexing against: PIL + onnxruntime + faiss-cpu, one prefetching
thread pool, batches of 8. It is what a competent Python user would write (the clip-retrieval shape), not
the product.

usage: python reference_pipeline.py --model-dir DIR --graph onnx/vision_model.onnx --folder PHOTOS [--runs 3]

Prints one JSON object on stdout:
  preprocessCpuMsPerImage: read + decode + CLIP preprocessing, one image at a time, CPU ms (process_time)
  decodeCpuMsPerImage:     read + decode (Image.open + convert('RGB')) alone, CPU ms
  modelAlone:              images/s on prepared pixels, per run
  endToEnd:                images/s and wall s of the whole pipeline (list, decode in threads, embed, faiss add), per run
"""
import argparse
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import faiss
import numpy as np
import onnxruntime as ort
from PIL import Image

EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp")


def load_spec(model_dir):
    cfg = json.load(open(os.path.join(model_dir, "preprocessor_config.json"), encoding="utf-8"))
    if isinstance(cfg["size"], dict) and "height" in cfg["size"]:
        # SiglipImageProcessorPil: squash to size, no crop (size None marks it).
        size, crop = None, (cfg["size"]["height"], cfg["size"]["width"])
    else:
        size = cfg["size"]["shortest_edge"] if isinstance(cfg["size"], dict) else cfg["size"]
        crop = cfg["crop_size"]
        crop = (crop["height"], crop["width"]) if isinstance(crop, dict) else (crop, crop)
    mean = np.asarray(cfg["image_mean"], dtype=np.float32).reshape(3, 1, 1)
    std = np.asarray(cfg["image_std"], dtype=np.float32).reshape(3, 1, 1)
    return size, crop, mean, std, float(cfg.get("rescale_factor", 1 / 255))


def preprocess(path, spec):
    """CLIPImageProcessorPil's steps: shortest edge -> bicubic resize, centre crop, rescale, normalise, CHW
    (SigLIP's: bicubic resize straight to the size)."""
    size, (crop_h, crop_w), mean, std, rescale = spec
    image = Image.open(path).convert("RGB")
    if size is None:
        image = image.resize((crop_w, crop_h), Image.BICUBIC)
    else:
        w, h = image.size
        new_w, new_h = (size, int(size * h / w)) if w <= h else (int(size * w / h), size)
        image = image.resize((new_w, new_h), Image.BICUBIC)
        left, top = (new_w - crop_w) // 2, (new_h - crop_h) // 2
        image = image.crop((left, top, left + crop_w, top + crop_h))
    x = (np.asarray(image, dtype=np.float64) * rescale).astype(np.float32)
    return ((x.transpose(2, 0, 1) - mean) / std).astype(np.float32)


def session(graph, threads):
    options = ort.SessionOptions()
    if threads > 0:
        options.intra_op_num_threads = threads
    return ort.InferenceSession(graph, options, providers=["CPUExecutionProvider"])


def model_alone(sess, pixels, batch, images):
    batches = [np.stack(pixels[i:i + batch]) for i in range(0, len(pixels) - batch + 1, batch)][:4]
    sess.run(None, {"pixel_values": batches[0]})
    start, done = time.perf_counter(), 0
    while done < images:
        sess.run(None, {"pixel_values": batches[(done // batch) % len(batches)]})
        done += batch
    return done / (time.perf_counter() - start)


def end_to_end(sess, files, spec, batch, workers):
    start = time.perf_counter()
    index = None
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending = []
        for pixels in pool.map(lambda f: preprocess(f, spec), files):
            pending.append(pixels)
            if len(pending) == batch:
                index = add(index, sess, pending)
                pending = []
        if pending:
            index = add(index, sess, pending)
    wall = time.perf_counter() - start
    return {"imagesPerSecond": len(files) / wall, "wallSeconds": wall, "vectors": int(index.ntotal)}


def add(index, sess, pending):
    # CLIP's graph names its embedding image_embeds, SigLIP's pooler_output.
    names = [output.name for output in sess.get_outputs()]
    embeds = sess.run(["image_embeds" if "image_embeds" in names else "pooler_output"], {"pixel_values": np.stack(pending)})[0]
    embeds /= np.linalg.norm(embeds, axis=1, keepdims=True)
    if index is None:
        index = faiss.IndexFlatIP(embeds.shape[1])
    index.add(embeds)
    return index


def cpu_per_image(files, fn):
    start = time.process_time()
    for f in files:
        fn(f)
    return (time.process_time() - start) * 1000 / len(files)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model-dir", required=True)
    parser.add_argument("--graph", default="onnx/vision_model.onnx")
    parser.add_argument("--folder", required=True)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--threads", type=int, default=0, help="ONNX Runtime intra-op threads; 0: its default")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="prefetching decode threads")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--model-only-images", type=int, default=256)
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--cpu-sample", type=int, default=100, help="images timed one at a time for the CPU figures")
    args = parser.parse_args()

    spec = load_spec(args.model_dir)
    files = sorted(os.path.join(d, n) for d, _, names in os.walk(args.folder) for n in names if n.lower().endswith(EXTENSIONS))
    if args.limit:
        files = files[:args.limit]
    if len(files) < args.batch:
        sys.exit(f"{args.folder}: {len(files)} images, fewer than one batch")
    sample = files[:args.cpu_sample]
    cpu_per_image(sample[:5], lambda f: preprocess(f, spec))  # warm the file cache
    result = {
        "python": sys.version.split()[0],
        "onnxruntime": ort.__version__,
        "pillow": Image.__version__,
        "faiss": faiss.__version__,
        "graph": args.graph,
        "images": len(files),
        "batch": args.batch,
        "workers": args.workers,
        "threads": args.threads,
        "decodeCpuMsPerImage": cpu_per_image(sample, lambda f: Image.open(f).convert("RGB")),
        "preprocessCpuMsPerImage": cpu_per_image(sample, lambda f: preprocess(f, spec)),
        "modelAlone": [],
        "endToEnd": [],
    }
    sess = session(os.path.join(args.model_dir, args.graph), args.threads)
    pixels = [preprocess(f, spec) for f in files[:4 * args.batch]]
    end_to_end(sess, files[:2 * args.batch], spec, args.batch, args.workers)  # warm-up
    for _ in range(args.runs):
        result["modelAlone"].append(model_alone(sess, pixels, args.batch, args.model_only_images))
        result["endToEnd"].append(end_to_end(sess, files, spec, args.batch, args.workers))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
