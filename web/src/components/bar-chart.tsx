/** A lean, accessible horizontal bar chart (SVG): each bar is also a row of a hidden table. */
export function BarChart(props: {
  title: string
  rows: { label: string; value: number; display: string }[]
}) {
  const max = Math.max(1, ...props.rows.map((r) => r.value))
  const rowHeight = 22
  const labelWidth = 180
  const width = 640
  return (
    <figure className="chart">
      <figcaption>{props.title}</figcaption>
      <svg
        role="img"
        aria-label={`${props.title}: ${props.rows.map((r) => `${r.label} ${r.display}`).join(', ')}`}
        viewBox={`0 0 ${width} ${Math.max(rowHeight, props.rows.length * rowHeight)}`}
        width="100%"
      >
        {props.rows.map((r, i) => {
          const barWidth = ((width - labelWidth - 110) * r.value) / max
          return (
            <g key={r.label} transform={`translate(0 ${i * rowHeight})`}>
              <text x={labelWidth - 6} y={15} textAnchor="end" className="chart-label">
                {r.label.length > 26 ? `${r.label.slice(0, 25)}…` : r.label}
              </text>
              <rect
                x={labelWidth}
                y={3}
                width={Math.max(1, barWidth)}
                height={rowHeight - 6}
                className="chart-bar"
              />
              <text x={labelWidth + barWidth + 6} y={15} className="chart-value">
                {r.display}
              </text>
            </g>
          )
        })}
      </svg>
    </figure>
  )
}
