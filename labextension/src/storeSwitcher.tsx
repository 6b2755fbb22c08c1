import * as React from 'react';

import { useLoader } from './hooks';
import { getStoreId, requestAPI, setStoreId } from './request';

/** One store the server offers (``GET stores``); ids never hold credentials. */
export interface IStoreChoice {
  id: string;
  label: string;
  kind: 'local' | 'mlflow';
  default: boolean;
}

interface IStoresReply {
  stores: IStoreChoice[];
  default: string;
}

function listStores(): Promise<IStoresReply> {
  return requestAPI<IStoresReply>('stores');
}

interface IStoreSwitcherProps {
  /** Called with the chosen store's id ('' for the server's own store) after the switch. */
  onSwitch: (storeId: string) => void;
}

/**
 * A compact store picker for the sidebar header: the server's own store and the ones its admin
 * configured (``c.NbtrackConfig.stores``, e.g. an MLflow tracking server). Shown only when
 * there is more than one; every API request then names the chosen store.
 */
export function StoreSwitcher({
  onSwitch
}: IStoreSwitcherProps): JSX.Element | null {
  const stores = useLoader(listStores, []);
  const [current, setCurrent] = React.useState(getStoreId());
  const reply = stores.value;
  if (!reply || reply.stores.length < 2) {
    return null;
  }
  const choose = (id: string) => {
    const storeId = id === reply.default ? '' : id;
    setStoreId(storeId);
    setCurrent(storeId);
    onSwitch(storeId);
  };
  return (
    <label className="nbtrack-store-switcher" title="Store to browse">
      <span className="nbtrack-store-switcher-label">Store</span>
      <select
        className="nbtrack-store-select"
        data-testid="store-switcher"
        value={current || reply.default}
        onChange={event => choose(event.target.value)}
      >
        {reply.stores.map(choice => (
          <option key={choice.id} value={choice.id} title={choice.id}>
            {choice.label}
          </option>
        ))}
      </select>
    </label>
  );
}
