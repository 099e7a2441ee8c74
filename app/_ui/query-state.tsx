import type { UseQueryResult } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { Alert, EmptyState } from './common';

/** The loading, error and empty states every list in the console shares; `children` draws the data. */
export function QueryState<T>(props: {
  query: UseQueryResult<T>;
  loading: string;
  isEmpty: (data: T) => boolean;
  empty: ReactNode;
  children: (data: T) => ReactNode;
}) {
  const { query } = props;
  if (query.isPending) return <EmptyState title={props.loading}> </EmptyState>;
  if (query.isError) return <Alert kind="error">{query.error.message}</Alert>;
  return <>{props.isEmpty(query.data) ? props.empty : props.children(query.data)}</>;
}
