import { lazy, Suspense } from 'react';
import type { ChartProps } from './chart';
import { Loading } from './states';

const Chart = lazy(() => import('./chart'));

/** A chart whose library arrives after the page: the first paint never waits for ECharts. */
export function LazyChart(props: ChartProps) {
  return (
    <Suspense fallback={<div className="chart" style={{ height: props.height }}><Loading /></div>}>
      <Chart {...props} />
    </Suspense>
  );
}
