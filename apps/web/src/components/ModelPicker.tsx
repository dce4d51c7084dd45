import { useId, useState } from 'react';
import { useLazyQuery } from '@apollo/client/react';
import { describeProblem } from '../errors';
import { graphql } from '../gql';
import type { ModelsQuery } from '../gql/graphql';

/** Query.models: the models the server can switch the library to (types generated from the schema). */
export const MODELS_QUERY = graphql(`
  query Models {
    models {
      name
      alias
      family
      local
      current
      flickr30kR1
      computeVsDefault
      pickWhen
    }
  }
`);

export type ModelChoice = ModelsQuery['models'][number];

/** The last part of a model folder's path, or a hub id as it is. */
export function shortModelName(name: string): string {
  return name.startsWith('/') ? (name.split('/').filter(Boolean).pop() ?? name) : name;
}

function describeChoice(model: ModelChoice): string {
  const figures = [model.family, model.flickr30kR1 !== null ? `Flickr30k R@1 ${model.flickr30kR1}` : null, model.computeVsDefault !== null ? `${model.computeVsDefault}x compute` : null]
    .filter(Boolean)
    .join(', ');
  const name = model.alias ?? shortModelName(model.name);
  return figures ? `${name} (${figures})` : `${name}${model.local ? ' (folder on the server)' : ''}`;
}

export interface ModelPickerProps {
  /** The model to switch to; '' keeps the library's model. */
  value: string;
  onChange: (model: string) => void;
  disabled?: boolean;
}

/**
 * "Switch model" in the indexing panel: closed, it asks the server nothing; opened, it lists the models the
 * server can switch to. Choosing one makes the next reindex build that model's vectors beside the current ones.
 */
export function ModelPicker({ value, onChange, disabled }: ModelPickerProps): React.JSX.Element {
  const [load, { data, error, loading }] = useLazyQuery(MODELS_QUERY, { fetchPolicy: 'network-only' });
  const [open, setOpen] = useState(false);
  const selectId = useId();
  const helpId = useId();
  const models = data?.models ?? [];
  const current = models.find((model) => model.current);
  const chosen = models.find((model) => model.name === value);
  return (
    <details
      className="model-picker"
      open={open}
      onToggle={(event) => {
        const isOpen = (event.currentTarget as HTMLDetailsElement).open;
        setOpen(isOpen);
        if (isOpen && !data) void load().catch(() => undefined);
        if (!isOpen) onChange('');
      }}
    >
      <summary>Switch model</summary>
      {loading && <p className="hint">Loading the models…</p>}
      {error && (
        <p className="field-error" role="alert">
          Cannot list the models: {describeProblem(error).message}
        </p>
      )}
      {data && (
        <>
          <label htmlFor={selectId}>Model</label>
          <select id={selectId} value={value} onChange={(event) => onChange(event.target.value)} disabled={disabled} aria-describedby={helpId}>
            <option value="">Keep {current ? describeChoice(current) : 'the current model'}</option>
            {models
              .filter((model) => !model.current)
              .map((model) => (
                <option key={model.name} value={model.name}>
                  {describeChoice(model)}
                </option>
              ))}
          </select>
          <p id={helpId} className="hint">
            {chosen
              ? `Indexing builds the vectors of ${chosen.alias ?? shortModelName(chosen.name)} for the whole library beside the current ones: search keeps working with the current model until they are complete, then the library switches and the old vectors are deleted. Stopped early, nothing changes and starting again resumes.${chosen.pickWhen ? ` Pick it when: ${chosen.pickWhen}.` : ''}`
              : 'Choose a model to switch the whole library to it.'}
          </p>
        </>
      )}
    </details>
  );
}
