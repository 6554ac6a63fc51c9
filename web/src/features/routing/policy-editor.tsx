import { SelectField, TextField } from '../../components/ui'
import {
  FAILURE_CONDITIONS,
  emptyRoute,
  emptyTarget,
  type PolicyDraft,
  type RouteDraft,
  type TargetDraft,
} from './policy-draft'

/**
 * A route policy as forms: per route (the model name callers request) its targets in order,
 * their weights, the strategy, what falls back and to which route. What it does not show
 * (retries, tier routes, downgrade rules, target timeouts) is kept; the JSON view edits it.
 */
export function PolicyEditor(props: {
  value: PolicyDraft
  onChange: (draft: PolicyDraft) => void
}) {
  const { value, onChange } = props
  const setRoute = (id: number, change: Partial<RouteDraft>) =>
    onChange({
      ...value,
      routes: value.routes.map((r) => (r.id === id ? { ...r, ...change } : r)),
    })
  return (
    <div className="policy-editor">
      <TextField
        label="Default route"
        hint="For a model no route names: implicit (the provider accounts' models), inherit (an organization: the global policy), reject, or a route name; empty: the scope's default"
        value={value.defaultRoute}
        onChange={(e) => onChange({ ...value, defaultRoute: e.target.value })}
      />
      {value.routes.length === 0 ? (
        <p className="muted">No routes yet: add one for each model name callers request.</p>
      ) : null}
      {value.routes.map((route, index) => (
        <RouteFields
          key={route.id}
          route={route}
          position={index + 1}
          onChange={(change) => setRoute(route.id, change)}
          onRemove={() =>
            onChange({ ...value, routes: value.routes.filter((r) => r.id !== route.id) })
          }
        />
      ))}
      <button
        type="button"
        className="secondary"
        onClick={() => onChange({ ...value, routes: [...value.routes, emptyRoute()] })}
      >
        Add route
      </button>
    </div>
  )
}

function RouteFields(props: {
  route: RouteDraft
  position: number
  onChange: (change: Partial<RouteDraft>) => void
  onRemove: () => void
}) {
  const { route, onChange } = props
  const label = route.name.trim() || `route ${props.position}`
  const setTarget = (i: number, change: Partial<TargetDraft>) =>
    onChange({ targets: route.targets.map((t, j) => (j === i ? { ...t, ...change } : t)) })
  return (
    <fieldset className="route">
      <legend>Route {label}</legend>
      <div className="filters">
        <TextField
          label={`Name of route ${props.position}`}
          hint="The model name callers request"
          required
          value={route.name}
          onChange={(e) => onChange({ name: e.target.value })}
        />
        <TextField
          label={`Aliases of ${label}`}
          hint="Other names, comma-separated"
          value={route.aliases}
          onChange={(e) => onChange({ aliases: e.target.value })}
        />
        <TextField
          label={`Tier of ${label}`}
          hint="Optional, e.g. premium"
          value={route.tier}
          onChange={(e) => onChange({ tier: e.target.value })}
        />
        <SelectField
          label={`Strategy of ${label}`}
          options={[
            { value: 'priority', label: 'priority (targets in order)' },
            { value: 'weighted', label: 'weighted (order drawn by weight)' },
          ]}
          value={route.strategy}
          onChange={(e) => onChange({ strategy: e.target.value as RouteDraft['strategy'] })}
        />
      </div>
      <table>
        <caption>Targets of {label}, in order</caption>
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">Provider account</th>
            <th scope="col">Upstream model</th>
            <th scope="col">Weight</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {route.targets.map((target, i) => (
            <tr key={i}>
              <td>{i + 1}</td>
              <td>
                <input
                  aria-label={`Provider of target ${i + 1} of ${label}`}
                  required
                  value={target.provider}
                  onChange={(e) => setTarget(i, { provider: e.target.value })}
                />
              </td>
              <td>
                <input
                  aria-label={`Model of target ${i + 1} of ${label}`}
                  required
                  value={target.model}
                  onChange={(e) => setTarget(i, { model: e.target.value })}
                />
              </td>
              <td>
                <input
                  aria-label={`Weight of target ${i + 1} of ${label}`}
                  type="number"
                  min={0}
                  max={10000}
                  step={1}
                  value={target.weight}
                  onChange={(e) => setTarget(i, { weight: e.target.value })}
                />
              </td>
              <td className="row-actions">
                <button
                  type="button"
                  className="ghost"
                  aria-label={`Move target ${i + 1} of ${label} up`}
                  disabled={i === 0}
                  onClick={() => {
                    const targets = [...route.targets]
                    ;[targets[i - 1], targets[i]] = [targets[i]!, targets[i - 1]!]
                    onChange({ targets })
                  }}
                >
                  ↑
                </button>
                <button
                  type="button"
                  className="ghost"
                  aria-label={`Remove target ${i + 1} of ${label}`}
                  disabled={route.targets.length === 1}
                  onClick={() => onChange({ targets: route.targets.filter((_, j) => j !== i) })}
                >
                  Remove
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <button
        type="button"
        className="secondary"
        onClick={() => onChange({ targets: [...route.targets, emptyTarget()] })}
      >
        Add target to {label}
      </button>
      <fieldset className="inline">
        <legend>Fall back to the next target of {label} on</legend>
        {FAILURE_CONDITIONS.map((condition) => (
          <label key={condition} className="check">
            <input
              type="checkbox"
              checked={route.fallbackOn.includes(condition)}
              onChange={(e) =>
                onChange({
                  fallbackOn: e.target.checked
                    ? [...route.fallbackOn, condition]
                    : route.fallbackOn.filter((c) => c !== condition),
                })
              }
            />
            {condition}
          </label>
        ))}
      </fieldset>
      <div className="filters">
        <TextField
          label={`Fallback route of ${label}`}
          hint="A route tried after every target failed; empty: none"
          value={route.fallbackRoute}
          onChange={(e) => onChange({ fallbackRoute: e.target.value })}
        />
        <button type="button" className="danger" onClick={props.onRemove}>
          Remove route {label}
        </button>
      </div>
    </fieldset>
  )
}
