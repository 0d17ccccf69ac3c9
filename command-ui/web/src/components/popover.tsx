import { useEffect, useRef, type ReactNode } from 'react';

/**
 * A panel that drops down under a toolbar button. Closes on Escape and on a press outside it and
 * its anchor (the anchor's own click toggles it).
 */
export function Popover(props: { open: boolean; onClose(): void; anchor: ReactNode; children: ReactNode; className?: string; align?: 'left' | 'right' }) {
  const ref = useRef<HTMLDivElement>(null);
  const { open, onClose } = props;
  useEffect(() => {
    if (!open) return;
    const onPointer = (event: PointerEvent) => {
      if (ref.current && event.target instanceof Node && !ref.current.contains(event.target)) onClose();
    };
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') {
        event.stopPropagation();
        onClose();
      }
    };
    document.addEventListener('pointerdown', onPointer, true);
    document.addEventListener('keydown', onKey, true);
    return () => {
      document.removeEventListener('pointerdown', onPointer, true);
      document.removeEventListener('keydown', onKey, true);
    };
  }, [open, onClose]);
  return (
    <div className="popover-wrap" ref={ref}>
      {props.anchor}
      {open && <div className={`popover popover-${props.align ?? 'left'}${props.className ? ` ${props.className}` : ''}`}>{props.children}</div>}
    </div>
  );
}
