import type { IconName } from '../shell/screens.ts';

/** 16-pixel line icons, drawn in the current text colour. */
type ToolIconName =
  | 'logout'
  | 'plus'
  | 'refresh'
  | 'close'
  | 'expand'
  | 'shrink'
  | 'tour'
  | 'save'
  | 'play'
  | 'pause'
  | 'stop'
  | 'chevron-up'
  | 'chevron-left'
  | 'chevron-right'
  | 'chevron-down'
  | 'ptz'
  | 'trash'
  | 'zoom-in'
  | 'zoom-out'
  | 'site'
  | 'step-back'
  | 'step-forward'
  | 'layout'
  | 'clear';

const PATHS: Readonly<Record<IconName | ToolIconName, string>> = {
  overview: 'M2 2h5v5H2zM9 2h5v3H9zM9 7h5v7H9zM2 9h5v5H2z',
  wall: 'M1.5 2.5h13v9h-13zM6 14h4M8 11.5V14M1.5 7h13M8 2.5v9',
  playback: 'M8 1.8a6.2 6.2 0 1 1-6.2 6.2M1.8 8V4.8M1.8 8h3M6.6 5.4v5.2L10.8 8z',
  alerts: 'M8 1.8 14.5 13.5h-13zM8 6v3.5M8 11.2v.6',
  map: 'M1.5 3.5 5.5 2l5 1.8 4-1.5v10.2l-4 1.5-5-1.8-4 1.5zM5.5 2v10.2M10.5 3.8V14',
  search: 'M7 2.5a4.5 4.5 0 1 1 0 9 4.5 4.5 0 0 1 0-9zM10.3 10.3 14 14',
  sightings: 'M1.5 4.5h13v7h-13zM4 8h.5M6.5 8h.5M9 8h.5M11.5 8h.5M1.5 2.5h2M12.5 2.5h2M1.5 13.5h2M12.5 13.5h2',
  incidents: 'M3 14V2.5M3 3h9l-2 3 2 3H3',
  checkpoint: 'M1.5 14V4M1.5 6h13M14.5 14V4M5 6v3M9 6v3M13 6v3M5 12h6',
  patrol: 'M8 1.5 13.5 3.5v4c0 3.3-2.3 5.9-5.5 7-3.2-1.1-5.5-3.7-5.5-7v-4zM5.5 8l2 2 3-3.5',
  cameras: 'M1.5 4.5h9v7h-9zM10.5 7l4-2.5v7l-4-2.5M4 7.5h.5',
  exports: 'M3 9.5v4h10v-4M8 2v8M5 7l3 3 3-3M6 12h4',
  watchlists: 'M2.5 2.5h11v11h-11zM5 5.5h6M5 8h6M5 10.5h3.5',
  plans: 'M5.5 2.5h-2.5v12h10v-12h-2.5M5.5 1.5h5v2h-5zM5 7l1 1 1.8-2M9.5 7H11M5 11l1 1 1.8-2M9.5 11H11',
  users: 'M6 7.5a2.5 2.5 0 1 0 0-5 2.5 2.5 0 0 0 0 5zM1.5 14c0-2.5 2-4.5 4.5-4.5s4.5 2 4.5 4.5M11 3a2.3 2.3 0 0 1 0 4.5M12.5 9.7c1.2.6 2 2 2 3.8',
  audit: 'M3 1.5h7l3 3v10H3zM10 1.5v3h3M5.5 7h5M5.5 9.5h5M5.5 12h2.5',
  logout: 'M6 2.5H2.5v11H6M10 5l3 3-3 3M13 8H6',
  plus: 'M8 3v10M3 8h10',
  refresh: 'M13 3v3.5H9.5M12.6 6.2A5 5 0 1 0 13 9.5',
  close: 'M3.5 3.5l9 9M12.5 3.5l-9 9',
  expand: 'M2 6V2h4M10 2h4v4M14 10v4h-4M6 14H2v-4',
  shrink: 'M6 2v4H2M10 2v4h4M14 10h-4v4M2 10h4v4',
  tour: 'M13.5 6.5A5.8 5.8 0 0 0 2.7 5.5M2.5 9.5a5.8 5.8 0 0 0 10.8 1M13.5 2.5v4h-4M2.5 13.5v-4h4',
  save: 'M2.5 2.5h9l2 2v9h-11zM5 2.5v3.5h5V2.5M5 13.5v-4h6v4',
  play: 'M4.5 2.8v10.4L13 8z',
  pause: 'M5 3v10M11 3v10',
  stop: 'M3.5 3.5h9v9h-9z',
  'chevron-up': 'M3 10.5 8 5.5l5 5',
  'chevron-down': 'M3 5.5l5 5 5-5',
  'chevron-left': 'M10.5 3 5.5 8l5 5',
  'chevron-right': 'M5.5 3l5 5-5 5',
  ptz: 'M8 1.5v3M8 11.5v3M1.5 8h3M11.5 8h3M8 5.5a2.5 2.5 0 1 1 0 5 2.5 2.5 0 0 1 0-5z',
  trash: 'M2.5 4h11M6 4V2.5h4V4M4 4l.7 9.5h6.6L12 4',
  'zoom-in': 'M7 2.5a4.5 4.5 0 1 1 0 9 4.5 4.5 0 0 1 0-9zM10.3 10.3 14 14M5 7h4M7 5v4',
  'zoom-out': 'M7 2.5a4.5 4.5 0 1 1 0 9 4.5 4.5 0 0 1 0-9zM10.3 10.3 14 14M5 7h4',
  site: 'M8 14.5s-4.5-4.2-4.5-7.7a4.5 4.5 0 0 1 9 0c0 3.5-4.5 7.7-4.5 7.7zM8 5.2a1.6 1.6 0 1 0 0 3.2 1.6 1.6 0 0 0 0-3.2z',
  'step-back': 'M8 4 3.5 8 8 12zM13.5 4 9 8l4.5 4z',
  'step-forward': 'M2.5 4 7 8l-4.5 4zM8 4l4.5 4L8 12z',
  layout: 'M2 2.5h12v11H2zM2 6.5h12M6.5 6.5v7',
  clear: 'M2 2.5h12v11H2zM5.5 6l5 5M10.5 6l-5 5',
};

export type AnyIconName = keyof typeof PATHS;

export function Icon({ name, className }: { name: AnyIconName; className?: string }) {
  return (
    <svg className={className ? `icon ${className}` : 'icon'} viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" focusable="false">
      <path d={PATHS[name]} fill="none" stroke="currentColor" strokeWidth="1.4" strokeLinecap="round" strokeLinejoin="round" />
    </svg>
  );
}
