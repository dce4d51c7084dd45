/**
 * Model precision: which of a model folder's graph files each tower loads. The names are
 * transformers.js's dtypes, and it picks the file by suffix (vision_model_int8.onnx for 'int8', ...).
 */
export const MODEL_DTYPES = ['fp32', 'fp16', 'q8', 'int8', 'uint8', 'q4'] as const;
export type ModelDtype = (typeof MODEL_DTYPES)[number];

/** The graph file transformers.js loads for each dtype (`<tower>` + suffix + `.onnx`). */
export const DTYPE_FILE_SUFFIX: Readonly<Record<ModelDtype, string>> = {
  fp32: '',
  fp16: '_fp16',
  q8: '_quantized',
  int8: '_int8',
  uint8: '_uint8',
  q4: '_q4',
};

export interface TowerPrecision {
  readonly vision: ModelDtype;
  readonly text: ModelDtype;
}

/** `dtype` for both towers, unless a tower has its own (empty: none). */
export function towerPrecision(settings: { dtype: ModelDtype; dtypeVision: ModelDtype | ''; dtypeText: ModelDtype | '' }): TowerPrecision {
  return { vision: settings.dtypeVision || settings.dtype, text: settings.dtypeText || settings.dtype };
}

/**
 * What the catalogue records beside the model name: 'int8' when both towers use it, else
 * 'vision=int8,text=fp32'. Vectors from different precisions differ slightly, so one library holds one.
 */
export function precisionLabel(precision: TowerPrecision): string {
  return precision.vision === precision.text ? precision.vision : `vision=${precision.vision},text=${precision.text}`;
}

/** The graph file of a tower at a dtype, relative to the model folder. */
export function graphFile(tower: 'vision_model' | 'text_model', dtype: ModelDtype): string {
  return `onnx/${tower}${DTYPE_FILE_SUFFIX[dtype]}.onnx`;
}
