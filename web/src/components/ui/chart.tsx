// Apache ECharts, with only the parts the console draws: line and bar series, shaded areas,
// reference lines, tooltips and legends on a canvas. Loaded lazily, outside the initial bundle.
import { useEffect, useRef } from 'react';
import { BarChart, LineChart } from 'echarts/charts';
import {
  GridComponent,
  LegendComponent,
  MarkAreaComponent,
  MarkLineComponent,
  TooltipComponent,
} from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import type { EChartsCoreOption } from 'echarts/core';

echarts.use([LineChart, BarChart, GridComponent, LegendComponent, MarkAreaComponent, MarkLineComponent, TooltipComponent, CanvasRenderer]);

export interface ChartProps {
  option: EChartsCoreOption;
  label: string;
  height: number;
  testId?: string;
}

export default function Chart({ option, label, height, testId }: ChartProps) {
  const element = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!element.current) return;
    const chart = echarts.init(element.current, undefined, { renderer: 'canvas' });
    // A mark once drawn, so the load budget is measured from the page's own clock.
    if (testId)
      chart.on('finished', () => {
        if (!performance.getEntriesByName(`chart-drawn:${testId}`).length) performance.mark(`chart-drawn:${testId}`);
      });
    chart.setOption(option);
    // The observer reports the element's size once at the start too, the size the chart was just
    // drawn at; resizing then would draw every chart twice (echarts redraws on any resize call).
    const observer = new ResizeObserver(([entry]) => {
      const { width, height } = entry.contentRect;
      if (Math.abs(width - chart.getWidth()) >= 1 || Math.abs(height - chart.getHeight()) >= 1) chart.resize();
    });
    observer.observe(element.current);
    return () => {
      observer.disconnect();
      chart.dispose();
    };
  }, [option, testId]);
  return <div ref={element} role="img" aria-label={label} data-testid={testId} className="chart" style={{ height }} />;
}
