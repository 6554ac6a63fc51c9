export function App() {
  return (
    <main>
      <h1>Ferry console</h1>
    </main>
  )
}
