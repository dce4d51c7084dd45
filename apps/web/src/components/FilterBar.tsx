import type { UrlFilter, UrlSort } from '../url';

/** Types the filter offers (the indexer's default extensions, by format). */
const TYPES = ['jpeg', 'png', 'webp', 'gif', 'tiff', 'heif'];

export interface FilterBarProps {
  filter: UrlFilter;
  sort: UrlSort | undefined;
  onChange: (filter: UrlFilter) => void;
  onSort: (sort: UrlSort | undefined) => void;
  disabled?: boolean;
}

/**
 * A compact filter bar (folder, date range, type) and the sort switch. Filters keep the top-k exact: the server
 * returns the best k among the images that pass, not the best k filtered afterwards.
 */
export function FilterBar({ filter, sort, onChange, onSort, disabled }: FilterBarProps): React.JSX.Element {
  const set = (name: keyof UrlFilter, value: string) => {
    const next: UrlFilter = { ...filter };
    if (value.trim()) next[name] = value.trim();
    else delete next[name];
    onChange(next);
  };
  const active = Object.keys(filter).length > 0;
  return (
    <div className="filter-bar" role="group" aria-label="Filters">
      <label>
        Under
        <input
          type="text"
          name="folder"
          placeholder="any folder"
          defaultValue={filter.folder ?? ''}
          key={filter.folder ?? ''}
          onKeyDown={(event) => {
            if (event.key === 'Enter') set('folder', event.currentTarget.value);
          }}
          onBlur={(event) => {
            if (event.currentTarget.value.trim() !== (filter.folder ?? '')) set('folder', event.currentTarget.value);
          }}
          disabled={disabled}
          size={12}
        />
      </label>
      <label>
        From
        <input type="date" name="from" value={filter.from ?? ''} onChange={(event) => set('from', event.currentTarget.value)} disabled={disabled} />
      </label>
      <label>
        To
        <input type="date" name="to" value={filter.to ?? ''} onChange={(event) => set('to', event.currentTarget.value)} disabled={disabled} />
      </label>
      <label>
        Type
        <select name="type" value={filter.type ?? ''} onChange={(event) => set('type', event.currentTarget.value)} disabled={disabled}>
          <option value="">any</option>
          {TYPES.map((type) => (
            <option key={type} value={type}>
              {type.toUpperCase()}
            </option>
          ))}
        </select>
      </label>
      {active && (
        <button type="button" className="link-button" onClick={() => onChange({})} disabled={disabled}>
          Clear filters
        </button>
      )}
      <label className="sort-switch">
        Sort
        <select name="sort" value={sort ?? ''} onChange={(event) => onSort((event.currentTarget.value || undefined) as UrlSort | undefined)} disabled={disabled}>
          <option value="">best match</option>
          <option value="newest">newest first</option>
          <option value="oldest">oldest first</option>
        </select>
      </label>
    </div>
  );
}

/** The filter bar's state as GraphQL's SearchFilterInput (null: no filter). `to` is inclusive in the bar: the next day, exclusive. */
export function toFilterInput(filter: UrlFilter | undefined): { folder?: string; takenFrom?: string; takenTo?: string; fileTypes?: string[] } | null {
  if (!filter) return null;
  const input: { folder?: string; takenFrom?: string; takenTo?: string; fileTypes?: string[] } = {};
  if (filter.folder) input.folder = filter.folder;
  if (filter.from) input.takenFrom = filter.from;
  if (filter.to) {
    const next = new Date(`${filter.to}T00:00:00Z`);
    next.setUTCDate(next.getUTCDate() + 1);
    input.takenTo = next.toISOString().slice(0, 10);
  }
  if (filter.type) input.fileTypes = [filter.type];
  return Object.keys(input).length > 0 ? input : null;
}

export function toSortInput(sort: UrlSort | undefined): 'TAKEN_NEWEST' | 'TAKEN_OLDEST' | null {
  return sort === 'newest' ? 'TAKEN_NEWEST' : sort === 'oldest' ? 'TAKEN_OLDEST' : null;
}
