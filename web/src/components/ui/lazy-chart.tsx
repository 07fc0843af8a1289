import { useEffect, useState, type ComponentType } from 'react';
import type { ChartProps } from './chart';
import { ErrorState, Loading } from './states';

type ChartComponent = ComponentType<ChartProps>;

let loaded: ChartComponent | null = null;
let loading: Promise<ChartComponent> | null = null;

/** Fetch the chart library (ECharts) now, ahead of the first chart; calling again reuses it. */
export function preloadChart(): Promise<ChartComponent> {
  loading ??= import('./chart').then(
    (module) => (loaded = module.default),
    (error: unknown) => {
      loading = null; // a failed download may be tried again
      throw error;
    },
  );
  return loading;
}

/** A chart whose library arrives after the page: the first paint never waits for ECharts. The
 * library comes through state rather than Suspense, so the chart is drawn the moment it arrives
 * (React holds a Suspense boundary's content back for up to 300 ms after its fallback showed). */
export function LazyChart(props: ChartProps) {
  const [Chart, setChart] = useState<ChartComponent | null>(() => loaded);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    if (Chart || error) return;
    let live = true;
    preloadChart().then(
      (component) => live && setChart(() => component),
      (failure: unknown) => live && setError(failure),
    );
    return () => {
      live = false;
    };
  }, [Chart, error]);
  if (Chart) return <Chart {...props} />;
  if (error) return <ErrorState error={error} retry={() => setError(null)} />;
  return (
    <div className="chart" style={{ height: props.height }}>
      <Loading />
    </div>
  );
}
