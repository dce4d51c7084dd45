"""8-bit variants of a full-size model folder for benchmarks, named as transformers.js names them
(as ../shared/models/build/quantize.py makes the fixtures', without the references):
  onnx/<tower>_int8.onnx       dtype 'int8': quantize_dynamic with QInt8 weights (the fast kind on x86 VNNI)
  onnx/<tower>_quantized.onnx  dtype 'q8':   QUInt8 weights when the graph has a Conv (the vision tower), else QInt8
usage: python quantize_model.py MODEL_DIR [--towers vision_model,text_model]. Existing outputs are kept.
"""
import argparse
import os

import onnx
from onnxruntime.quantization import QuantType, quantize_dynamic


def has_conv(model):
    return any(n.op_type == "Conv" for n in model.graph.node)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model_dir")
    parser.add_argument("--towers", default="vision_model,text_model")
    args = parser.parse_args()
    onnx_dir = os.path.join(args.model_dir, "onnx")
    for tower in args.towers.split(","):
        src = os.path.join(onnx_dir, tower + ".onnx")
        conv = has_conv(onnx.load(src, load_external_data=False))
        for suffix, weight_type in (("_int8", QuantType.QInt8), ("_quantized", QuantType.QUInt8 if conv else QuantType.QInt8)):
            dst = os.path.join(onnx_dir, tower + suffix + ".onnx")
            if os.path.exists(dst):
                continue
            model = onnx.load(src, load_external_data=True)
            del model.graph.value_info[:]  # a stale shape annotation trips the quantiser's shape inference
            tmp = dst + ".stripped.onnx"
            onnx.save(model, tmp, save_as_external_data=True, location=os.path.basename(tmp) + "_data")
            del model
            try:
                quantize_dynamic(tmp, dst + ".partial", weight_type=weight_type)
                os.replace(dst + ".partial", dst)
            finally:
                for leftover in (tmp, tmp + "_data", dst + ".partial"):
                    if os.path.exists(leftover):
                        os.remove(leftover)
            print(f"{dst}: {str(weight_type).split('.')[-1]} weights, {os.path.getsize(dst) / 1e6:.0f} MB", flush=True)


if __name__ == "__main__":
    main()
